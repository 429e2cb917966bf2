// Implements: the element-wise additions of every reduction on this node (the rings, PeerBuffers).
// On a CPU with AVX-512F they run as 512-bit vectors in C (CSharedMemoryKernels.h: a 64-byte load
// asks the other core for one whole cache line, which is what the in-place and slot reductions
// wait on); elsewhere, or with COHORT_WIDE_KERNELS=0, as Swift loops (vectorised for AVX2 under
// -Ounchecked, Package.swift). Both do one IEEE add (and divide) per element: the same bits.
import CSharedMemory
import Foundation

/// Whether the 512-bit kernels run: the CPU has AVX-512F and COHORT_WIDE_KERNELS is not 0.
let wideKernels: Bool = CSharedMemory_hasAVX512() != 0 && ProcessInfo.processInfo.environment["COHORT_WIDE_KERNELS"] != "0"

/// dst[i] += src[i] for i in 0 ..< n.
@inline(__always)
func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    if wideKernels { return CSharedMemory_add512(dst, src, n) }
    for i in 0 ..< n { dst[i] += src[i] }
}

/// dst[i] += src[i], or dst[i] = (dst[i] + src[i]) / divisor for the last reduce-scatter addition
/// of a mean (the same two roundings as adding, then dividing in a second pass, so both paths
/// agree bitwise); with `out`, the result is also stored there.
@inline(__always)
func combine(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>?,
             _ n: Int, divisor: Float?) {
    if wideKernels {
        switch (out, divisor) {
        case (nil, nil): CSharedMemory_add512(dst, src, n)
        case (nil, let d?): CSharedMemory_addDivide512(dst, src, n, d)
        case (let o?, let d): CSharedMemory_addStore512(dst, src, o, n, d == nil ? 0 : 1, d ?? 1)
        }
        return
    }
    switch (out, divisor) {
    case (nil, nil): for i in 0 ..< n { dst[i] += src[i] }
    case (nil, let d?): for i in 0 ..< n { dst[i] = (dst[i] + src[i]) / d }
    case (let o?, nil): for i in 0 ..< n { let v = dst[i] + src[i]; dst[i] = v; o[i] = v }
    case (let o?, let d?): for i in 0 ..< n { let v = (dst[i] + src[i]) / d; dst[i] = v; o[i] = v }
    }
}
