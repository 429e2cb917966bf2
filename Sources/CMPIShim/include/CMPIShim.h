// CMPIShim: MPI's predefined handles (MPI_COMM_WORLD, MPI_FLOAT, MPI_SUM, …) are macros
// that expand to addresses of OpenMPI's internal globals, which Swift cannot import.
// This target re-exports them as functions. It can go if Swift ever imports such macros.
#ifndef CMPISHIM_H
#define CMPISHIM_H
#include <mpi.h>
#include <stdint.h>

MPI_Comm CMPIShim_COMM_WORLD(void);
MPI_Comm CMPIShim_COMM_NULL(void);
MPI_Datatype CMPIShim_FLOAT(void);
MPI_Datatype CMPIShim_DOUBLE(void);
MPI_Datatype CMPIShim_INT64(void);
MPI_Datatype CMPIShim_BYTE(void);
MPI_Op CMPIShim_SUM(void);
MPI_Op CMPIShim_MAX(void);
MPI_Op CMPIShim_MIN(void);
MPI_Errhandler CMPIShim_ERRORS_RETURN(void);
MPI_Info CMPIShim_INFO_NULL(void);
MPI_Request CMPIShim_REQUEST_NULL(void);
MPI_Status *CMPIShim_STATUS_IGNORE(void);
MPI_Status *CMPIShim_STATUSES_IGNORE(void);
void *CMPIShim_IN_PLACE(void);
extern const int CMPIShim_SUCCESS;
extern const int CMPIShim_ANY_SOURCE;
extern const int CMPIShim_ANY_TAG;
extern const int CMPIShim_THREAD_SINGLE;
extern const int CMPIShim_THREAD_FUNNELED;
extern const int CMPIShim_THREAD_SERIALIZED;
extern const int CMPIShim_THREAD_MULTIPLE;
extern const int CMPIShim_MAX_ERROR_STRING;
extern const int CMPIShim_COMM_TYPE_SHARED;

// Acquire/release counters in memory shared between processes (SharedSegment.swift's
// handshakes). Swift's `Atomic` lives only in storage Swift owns and cannot be placed at a raw
// address in an MPI shared window; these can go when the standard library gains an atomic view
// of a raw pointer (swift-atomics' `UnsafeAtomic`, not a dependency of Cohort). `static inline`
// so Swift inlines them: one plain load or store on x86-64 plus a compiler barrier.
static inline int64_t CMPIShim_loadAcquire(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void CMPIShim_storeRelease(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }
// The spin-wait hint (x86 `pause`, arm64 `yield`): lets a sibling hyperthread run while polling.
static inline void CMPIShim_cpuRelax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");

#endif
}

// A doorbell in shared memory: the neighbour that publishes or frees a slot rings it, and a rank
// with nothing to do sleeps on it in the kernel (futex) instead of spinning, so it gives its core
// back to the compute thread of its own rank and wakes the moment there is work. Linux only;
// the futex word must be 4-byte aligned and shared (no FUTEX_PRIVATE_FLAG: the peers are processes).
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static inline int32_t CMPIShim_load32(const int32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline int64_t CMPIShim_load64(const int64_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void CMPIShim_store64(int64_t *p, int64_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline void CMPIShim_store32(int32_t *p, int32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
/// Rings `bell` and wakes its sleeper, if `sleeping` says there is one (otherwise: one load).
static inline void CMPIShim_ring(int32_t *bell, const int32_t *sleeping) {
    if (__atomic_load_n(sleeping, __ATOMIC_SEQ_CST)) {
        __atomic_fetch_add(bell, 1, __ATOMIC_SEQ_CST);
        syscall(SYS_futex, bell, FUTEX_WAKE, 1, NULL, NULL, 0);
    }
}
/// Sleeps while `*bell == expected`, at most `timeoutNs` nanoseconds (or until a signal).
static inline void CMPIShim_sleepOnBell(int32_t *bell, int32_t expected, long timeoutNs) {
    struct timespec t = { timeoutNs / 1000000000L, timeoutNs % 1000000000L };
    syscall(SYS_futex, bell, FUTEX_WAIT, expected, &t, NULL, 0);
}

#endif
