// Implements: Doorbell and SpinThenSleep, how a rank waits for its peers in node-shared memory
// (the shared-memory ring, PeerBuffers). A waiter with nothing to do spins (`pause`; yielding
// the core when ranks share cores); after `spinSeconds` the peer is late, and the waiter sleeps
// in the kernel on its own doorbell (futex) until a peer that moves a counter rings it, and
// throws at the deadline. In training the comm thread shares its core with backward; napping
// in 20 µs steps instead left both ranks' comm threads running only when the scheduler happened
// to run them together (the 7.5 MB reduction of W took 5 ms of wall time and slowed backward by
// 3–4 ms; with the doorbell 2.6 ms and 0.6–1.5 ms, 2 ranks, COHORT_PROFILE=1).
//
// No lost wake-up (Dekker's handshake): the sleeper reads its bell, then (one idle poll later)
// stores `sleeping`, re-reads the peers' progress, and sleeps only if it has not moved and the
// bell still holds the value read; a peer stores its counter, then loads `sleeping` and, seeing
// the sleeper, bumps the bell and wakes it (all seq_cst). The 1 ms sleep bounds any wake that
// is missed all the same, so the deadline is still checked.
import CSharedMemory
import Foundation

/// One rank's doorbell: a futex word and a flag saying that its owner sleeps on it.
struct Doorbell {
    let bell: UnsafeMutablePointer<Int32>
    let sleeping: UnsafeMutablePointer<Int32>

    /// The doorbell whose two words sit at `bellOffset` and `sleepingOffset` from `base`.
    init(_ base: UnsafeMutableRawPointer, bellOffset: Int, sleepingOffset: Int) {
        bell = (base + bellOffset).assumingMemoryBound(to: Int32.self)
        sleeping = (base + sleepingOffset).assumingMemoryBound(to: Int32.self)
    }

    /// Wakes the owner if it sleeps (a system call only then; otherwise one load).
    @inline(__always) func ring() { CSharedMemory_ring(bell, sleeping) }
}

/// The idle half of a polling loop: call `idle` after every poll that found nothing to do and
/// `reset` after every one that did something.
struct SpinThenSleep {
    let own: Doorbell
    let spinSeconds: Double
    let timeoutSeconds: Double?
    /// Yield the core after 64 empty polls (more ranks than cores).
    let yields: Bool
    private var polls = 0, since = 0.0
    private var armed: (bell: Int32, progress: Int64)?

    init(own: Doorbell, spinSeconds: Double, timeoutSeconds: Double?, yields: Bool) {
        self.own = own; self.spinSeconds = spinSeconds; self.timeoutSeconds = timeoutSeconds; self.yields = yields
    }

    @inline(__always) mutating func reset() { polls = 0; armed = nil }

    /// One empty poll. - Parameters:
    ///   - progress: A number that grows whenever a peer this rank waits for moves (the sum of
    ///     their counters, read seq_cst).
    ///   - timeout: The error to throw once `timeoutSeconds` have passed since the first empty poll.
    @inline(__always) mutating func idle(progress: () -> Int64, timeout: (Double) -> Error) throws {
        if polls == 0 { since = monotonicSeconds() }
        polls += 1
        if yields && polls >= 64 { sched_yield() } else { CSharedMemory_cpuRelax() }
        guard polls & 63 == 0 else { return }
        let waited = monotonicSeconds() - since   // the clock read costs ~20 ns: every 64 polls
        if let limit = timeoutSeconds, waited > limit { throw timeout(limit) }
        guard waited > spinSeconds else { return }
        if let a = armed {
            CSharedMemory_store32(own.sleeping, 1)
            if progress() == a.progress { CSharedMemory_sleepOnBell(own.bell, a.bell, 1_000_000) }
            CSharedMemory_store32(own.sleeping, 0)
            armed = nil
        } else {
            armed = (CSharedMemory_load32(own.bell), progress())
        }
    }
}
