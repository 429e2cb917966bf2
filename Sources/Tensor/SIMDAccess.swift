// Implements: the vector type of the element-wise kernels (8 floats: one AVX register) with
// unaligned loads and stores, and square root.
// Swift's auto-vectoriser leaves loops with several pointers, sqrt or selects scalar, and its
// generic SIMD `squareRoot()` is lowered lane by lane to scalar sqrt calls (seen in the Adam step:
// 34 vsqrtss/sqrtf per 16 lanes, 9% of a training step). The kernels therefore say the vector
// width themselves and take sqrt from the x86 intrinsic (release builds target haswell: AVX2+FMA).
#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// The kernels' vector: 8 floats.
public typealias FloatVector = SIMD8<Float>

/// Floats per vector in the kernels.
@inlinable public var simdWidth: Int { 8 }

/// The 8 floats at `p`, any alignment.
@inlinable @inline(__always)
public func loadVector(_ p: UnsafePointer<Float>) -> FloatVector {
    UnsafeRawPointer(p).loadUnaligned(as: FloatVector.self)
}

/// Stores 8 floats at `p`, any alignment.
@inlinable @inline(__always)
public func storeVector(_ v: FloatVector, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: FloatVector.self)
}

/// Lane-wise square root in one instruction (vsqrtps) where the CPU has it.
@inlinable @inline(__always)
public func squareRoot(_ v: FloatVector) -> FloatVector {
    #if arch(x86_64)
    return _mm256_sqrt_ps(v)
    #else
    return v.squareRoot()
    #endif
}
