// Implements: CommThread, the one thread of a rank that makes MPI calls.
// Work items run in FIFO order. `async` hands over a bucket's reduction and returns at once (the
// backward pass goes on); `sync` runs a call and waits for its result; `drain` waits for all
// handed-over work and rethrows the first error any of it raised. The thread sleeps on a
// condition variable while idle, so it takes no CPU from the compute thread between buckets.
// Across nodes it runs at a higher priority than the compute thread (`raisePriority`, nice −10
// where allowed): there it sleeps in poll(2) and needs little CPU, but every millisecond it waits
// for a core after a bucket is ready leaves the link idle. On one node it keeps the process's
// priority: its shared-memory waits spin, and a favoured spinner would starve backward.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one thread of a rank that makes MPI calls; work runs in FIFO order.
public final class CommThread: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [() throws -> Void] = []
    private var running = false
    private var firstError: Error?
    private var stopping = false
    /// Items handed over, and items finished (run, or skipped after a failure).
    private var submitted = 0, processed = 0
    private var thread: Thread!

    /// Starts the thread (8 MB stack) under `name`; it sleeps until work is queued.
    public init(name: String = "cohort-comm") {
        thread = Thread { [unowned self] in self.loop() }
        thread.name = name
        thread.stackSize = 8 << 20
        thread.start()
    }

    /// Queues `work`; its error, if any, is rethrown by the next `drain` or `sync`.
    /// - Returns: A ticket for `wait(for:)`.
    @discardableResult
    public func async(_ work: @escaping () throws -> Void) -> Int {
        condition.lock()
        queue.append(work)
        submitted += 1
        let ticket = submitted
        condition.signal()
        condition.unlock()
        return ticket
    }

    /// Waits until the item with `ticket` (and everything queued before it) has finished or,
    /// after an earlier failure, been skipped. Errors stay for `drain`.
    public func wait(for ticket: Int) {
        condition.lock()
        while processed < ticket { condition.wait() }
        condition.unlock()
    }

    /// Waits until every queued item has run; rethrows the first error (once).
    public func drain() throws {
        condition.lock()
        while !queue.isEmpty || running { condition.wait() }
        let e = firstError
        firstError = nil
        condition.unlock()
        if let e { throw e }
    }

    /// Runs `work` on the comm thread after everything queued before it, and returns its result.
    public func sync<T>(_ work: @escaping () throws -> T) throws -> T {
        var result: Result<T, Error>?
        async { result = Result { try work() } }
        try drain()
        return try result!.get()
    }

    /// Finishes queued work and ends the thread.
    public func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while !queue.isEmpty || running { condition.wait() }
        condition.unlock()
    }

    /// The thread's nice value: `COHORT_COMM_NICE` (0 keeps the process's), default −10. Lowering
    /// it needs CAP_SYS_NICE; without it the thread keeps the process's priority.
    static let niceValue = Int32(ProcessInfo.processInfo.environment["COHORT_COMM_NICE"] ?? "") ?? -10

    /// Queues setting the thread's nice value to `niceValue` (best effort: without CAP_SYS_NICE
    /// the thread keeps the process's priority).
    public func raisePriority() {
        #if os(Linux)
        guard Self.niceValue != 0 else { return }
        async {
            // setpriority(PRIO_PROCESS, tid) sets one thread's nice; /proc/thread-self names the
            // tid (Swift's Glibc has no gettid).
            if let link = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/thread-self"),
               let tid = id_t(link.split(separator: "/").last ?? "") {
                _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, Self.niceValue)
            }
        }
        #endif
    }

    private func loop() {
        while true {
            condition.lock()
            while queue.isEmpty && !stopping { condition.wait() }
            if queue.isEmpty && stopping { condition.unlock(); return }
            let work = queue.removeFirst()
            running = true
            let skip = firstError != nil   // after a failure the communicator is unusable
            condition.unlock()
            var error: Error?
            if !skip { do { try work() } catch let e { error = e } }
            condition.lock()
            if let error, firstError == nil { firstError = error }
            running = false
            processed += 1
            condition.broadcast()
            condition.unlock()
        }
    }
}
