// The AVX-512 additions declared in include/CSharedMemoryKernels.h. Compiled for AVX-512F per
// function (target attribute), so the target as a whole still runs on any x86-64; callers check
// CSharedMemory_hasAVX512() first. Tails use masked loads and stores (no access past `n`).
#include "CSharedMemoryKernels.h"
#if defined(__x86_64__)
#include <immintrin.h>

int CSharedMemory_hasAVX512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") ? 1 : 0;
}

#define AVX512 __attribute__((target("avx512f")))

AVX512 static inline __mmask16 tailMask(long n) { return (__mmask16)((1u << n) - 1); }

AVX512 void CSharedMemory_add512(float *dst, const float *src, long n) {
    long i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a = _mm512_add_ps(_mm512_loadu_ps(dst + i), _mm512_loadu_ps(src + i));
        __m512 b = _mm512_add_ps(_mm512_loadu_ps(dst + i + 16), _mm512_loadu_ps(src + i + 16));
        _mm512_storeu_ps(dst + i, a);
        _mm512_storeu_ps(dst + i + 16, b);
    }
    for (; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : tailMask(n - i);
        _mm512_mask_storeu_ps(dst + i, m, _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + i), _mm512_maskz_loadu_ps(m, src + i)));
    }
}

AVX512 void CSharedMemory_addDivide512(float *dst, const float *src, long n, float divisor) {
    __m512 d = _mm512_set1_ps(divisor);
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : tailMask(n - i);
        __m512 v = _mm512_div_ps(_mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + i), _mm512_maskz_loadu_ps(m, src + i)), d);
        _mm512_mask_storeu_ps(dst + i, m, v);
    }
}

AVX512 void CSharedMemory_addStore512(float *dst, const float *src, float *out, long n, int divide, float divisor) {
    __m512 d = _mm512_set1_ps(divisor);
    for (long i = 0; i < n; i += 16) {
        __mmask16 m = n - i >= 16 ? (__mmask16)0xFFFF : tailMask(n - i);
        __m512 v = _mm512_add_ps(_mm512_maskz_loadu_ps(m, dst + i), _mm512_maskz_loadu_ps(m, src + i));
        if (divide) v = _mm512_div_ps(v, d);
        _mm512_mask_storeu_ps(dst + i, m, v);
        _mm512_mask_storeu_ps(out + i, m, v);
    }
}

#else
// Not x86-64: no AVX-512; the Swift loops run (these are never called).
int CSharedMemory_hasAVX512(void) { return 0; }
void CSharedMemory_add512(float *dst, const float *src, long n) { for (long i = 0; i < n; i++) dst[i] += src[i]; }
void CSharedMemory_addDivide512(float *dst, const float *src, long n, float divisor) {
    for (long i = 0; i < n; i++) dst[i] = (dst[i] + src[i]) / divisor;
}
void CSharedMemory_addStore512(float *dst, const float *src, float *out, long n, int divide, float divisor) {
    for (long i = 0; i < n; i++) { float v = dst[i] + src[i]; if (divide) v /= divisor; dst[i] = v; out[i] = v; }
}
#endif
