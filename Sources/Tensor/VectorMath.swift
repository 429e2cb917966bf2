// Implements: exp and tanh on a whole FloatVector (8 lanes), for the softmax of attention and
// GELU: glibc's expf/tanhf are scalar calls, and GELU alone would call tanhf 4·B·T·d times per
// layer and pass. Accuracy: a few ulp over the ranges that occur (checked in VectorMathTests).

/// e^x lane-wise: x = n·ln2 + r with |r| ≤ ln2/2, e^r by a degree-6 polynomial, 2^n through the
/// exponent bits. Inputs are clamped to [-87, 88] (results stay finite and normal).
@inlinable @inline(__always)
public func vexp(_ x: FloatVector) -> FloatVector {
    let x = vmin(vmax(x, FloatVector(repeating: -87)), FloatVector(repeating: 88))
    // Adding 1.5·2²³ rounds x·log2(e) to an integer held in the low mantissa bits.
    let magic = FloatVector(repeating: 12_582_912)
    let t = x * FloatVector(repeating: 1.442_695_04) + magic
    let n = t - magic
    let r = x - n * FloatVector(repeating: 0.693_145_75) - n * FloatVector(repeating: 1.428_606_8e-6)
    var p = FloatVector(repeating: 1.0 / 720)
    p = p * r + FloatVector(repeating: 1.0 / 120)
    p = p * r + FloatVector(repeating: 1.0 / 24)
    p = p * r + FloatVector(repeating: 1.0 / 6)
    p = p * r + FloatVector(repeating: 0.5)
    p = p * r + FloatVector(repeating: 1)
    p = p * r + FloatVector(repeating: 1)
    let bits = unsafeBitCast(t, to: SIMD8<UInt32>.self) &- SIMD8<UInt32>(repeating: 0x4B40_0000 - 127)
    return p * unsafeBitCast(bits &<< SIMD8<UInt32>(repeating: 23), to: FloatVector.self)
}

/// Lane-wise minimum as a compare and blend, which inlines: the generic `pointwiseMin` stayed an
/// unspecialised call per vector here (4% of a GPT step when it was used).
@inlinable @inline(__always)
public func vmin(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
    a.replacing(with: b, where: b .< a)
}

/// Lane-wise maximum, the same way.
@inlinable @inline(__always)
public func vmax(_ a: FloatVector, _ b: FloatVector) -> FloatVector {
    a.replacing(with: b, where: b .> a)
}

/// tanh(x) lane-wise as 1 − 2/(e^{2x} + 1) (exact limits ±1; absolute error ~1e-7).
@inlinable @inline(__always)
public func vtanh(_ x: FloatVector) -> FloatVector {
    let one = FloatVector(repeating: 1)
    return one - FloatVector(repeating: 2) / (vexp(x + x) + one)
}
