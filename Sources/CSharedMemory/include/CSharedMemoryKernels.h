// The additions of the node-local reductions in 512-bit vectors (AVX-512F), for CPUs that have
// them; Swift's own loops (compiled for AVX2, Package.swift) serve the others. Every lane is one
// IEEE single-precision add (and divide), the same rounding as the scalar code, so the results
// are the same bits whichever runs. Measured on the Xeon (2 ranks, in place from a peer's
// node-shared region): the 512 KB add of a 1 MB allreduce took ~45 µs instead of ~52 with AVX2
// loops: a 64-byte load asks for one whole cache line from the other core, two 32-byte loads
// ask twice. `dst` and `src` may be the same buffer, not otherwise overlapping.
#ifndef CSHAREDMEMORY_KERNELS_H
#define CSHAREDMEMORY_KERNELS_H

/// 1 when the CPU and the OS support AVX-512F (then the functions below may be called), else 0.
int CSharedMemory_hasAVX512(void);
/// dst[i] += src[i] for i in 0 ..< n.
void CSharedMemory_add512(float *dst, const float *src, long n);
/// dst[i] = (dst[i] + src[i]) / divisor.
void CSharedMemory_addDivide512(float *dst, const float *src, long n, float divisor);
/// v = dst[i] + src[i] (then / divisor when `divide`); dst[i] = v; out[i] = v.
void CSharedMemory_addStore512(float *dst, const float *src, float *out, long n, int divide, float divisor);

#endif
