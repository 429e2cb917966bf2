// Implements: unaligned 16-float SIMD loads and stores for the element-wise kernels.
// Swift's auto-vectoriser leaves loops with several pointers, sqrt or selects scalar (seen in the
// Adam step: sqrtss + a call to sqrtf per element, 11% of a training step); SIMD16 maps to one
// AVX-512 register or two AVX2 ones, so the kernels say the vector width themselves.

/// Floats per SIMD chunk in the kernels.
public let simdWidth = 16

/// The 16 floats at `p`, any alignment.
@inline(__always)
public func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Stores 16 floats at `p`, any alignment.
@inline(__always)
public func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}
