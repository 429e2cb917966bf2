// CSharedMemory: atomics and futex doorbells on memory shared between processes (the shared-memory
// ring's window, node-shared peer buffers). Swift's `Atomic` lives only in storage Swift owns and
// cannot be placed at a raw address in shared memory; these can go when the standard library
// gains an atomic view of a raw pointer (swift-atomics' `UnsafeAtomic`, not a dependency of
// Cohort). `static inline` so Swift inlines them: one plain load or store on x86-64 plus a
// compiler barrier (seq_cst stores: an xchg). Linux only (futex).
#ifndef CSHAREDMEMORY_H
#define CSHAREDMEMORY_H
#include <stdint.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static inline int64_t CSharedMemory_loadAcquire(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void CSharedMemory_storeRelease(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
static inline int32_t CSharedMemory_load32(const int32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline int64_t CSharedMemory_load64(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void CSharedMemory_store64(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline void CSharedMemory_store32(int32_t *p, int32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

// The spin-wait hint (x86 `pause`, arm64 `yield`): lets a sibling hyperthread run while polling.
static inline void CSharedMemory_cpuRelax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

// A doorbell: a peer that moves a counter rings it, and a rank with nothing to do sleeps on it
// in the kernel (futex) instead of spinning. The futex word must be 4-byte aligned and shared
// (no FUTEX_PRIVATE_FLAG: the peers are processes).
/// Rings `bell` and wakes its sleeper, if `sleeping` says there is one (otherwise: one load).
static inline void CSharedMemory_ring(int32_t *bell, const int32_t *sleeping) {
    if (__atomic_load_n(sleeping, __ATOMIC_SEQ_CST)) {
        __atomic_fetch_add(bell, 1, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, bell, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
}
/// Sleeps while `*bell == expected`, at most `timeoutNs` nanoseconds (or until a signal).
static inline void CSharedMemory_sleepOnBell(int32_t *bell, int32_t expected, long timeoutNs) {
    struct timespec t = { timeoutNs / 1000000000L, timeoutNs % 1000000000L };
    syscall(SYS_futex, bell, FUTEX_WAIT, expected, &t, NULL, 0);
}

#endif
