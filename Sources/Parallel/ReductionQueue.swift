// Implements: ReductionQueue, the comm thread as the gradient reductions use it: queued work is
// timed as reducing, the compute thread's waits as waiting (1 − waited/reducing is the share of
// communication hidden by overlap), and an error met while waiting inside backward, which cannot
// throw, is kept for the step.
import Foundation

/// The comm thread as the gradient reductions use it, with reducing and waiting timers.
public final class ReductionQueue {
    /// The comm thread work runs on.
    public let worker: CommThread
    private let lock = NSLock()
    private var reducing = 0.0, waited = 0.0
    private var kept: Error?

    /// A queue over `worker`, timers at zero.
    public init(worker: CommThread) { self.worker = worker }

    /// Seconds the comm thread spent on queued work, and seconds the compute thread waited for it.
    public var seconds: (reducing: Double, waiting: Double) {
        lock.lock(); defer { lock.unlock() }
        return (reducing, waited)
    }

    /// Sets both timers to zero.
    public func resetTimers() { lock.lock(); reducing = 0; waited = 0; lock.unlock() }

    /// Queues `work` on the comm thread. - Returns: its ticket.
    @discardableResult
    public func async(_ work: @escaping () throws -> Void) -> Int {
        worker.async {
            let t0 = DispatchTime.now().uptimeNanoseconds
            defer { self.add(reducing: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) }
            try work()
        }
    }

    /// Waits for the item `ticket` and everything before it.
    public func wait(for ticket: Int) { waiting { worker.wait(for: ticket) } }

    /// Runs `body`, counting its time as waiting.
    public func waiting<T>(_ body: () throws -> T) rethrows -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { add(waiting: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) }
        return try body()
    }

    /// Runs `body` as a wait; its error is kept for `drain()`.
    public func keep(_ body: () throws -> Void) {
        do { try waiting(body) } catch { if kept == nil { kept = error } }
    }

    /// Rethrows a kept error, then waits for all queued work and rethrows its first error.
    public func drain() throws {
        if let e = kept { kept = nil; throw e }
        try waiting { try worker.drain() }
    }

    /// Runs `work` on the comm thread after everything queued, and returns its result.
    public func sync<T>(_ work: @escaping () throws -> T) throws -> T { try worker.sync(work) }

    private func add(reducing r: Double = 0, waiting w: Double = 0) {
        lock.lock(); reducing += r; waited += w; lock.unlock()
    }
}
