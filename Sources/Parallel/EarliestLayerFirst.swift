// Implements: EarliestLayerFirst, the order in which the comm thread reduces a step's buckets
// across nodes: among the buckets ready and not yet started, the one of the earliest layer first
// (pieces of one layer in the order backward made them), and a running reduction is never
// interrupted. Backward makes the
// first layer's gradient last, but the next forward needs it first: served first, its reduction
// ends sooner and the rest of the link time hides behind that layer's forward.
// Every rank must run the same collectives in the same order, and what is ready when differs
// between ranks, so rank 0 chooses: before each bucket the ranks sum a one-float message in
// which only rank 0 writes the bucket it picked; each rank then waits for that bucket to be
// ready on itself. One job per step on the comm thread serves every bucket of the step.
// Off unless COHORT_EARLIEST_FIRST=1 (ReductionChoice.order says why).
import Collectives
import Foundation

final class EarliestLayerFirst {
    private let comm: Communicator
    private let condition = NSCondition()
    /// Per bucket: its reduction once ready (nil before), and whether it is done this step.
    private var work: [(() throws -> Void)?], done: [Bool]
    private var failed = false
    private let priority: [Int]

    /// `priority[b]`: smaller goes first (the bucket's layer); ties go by bucket index (ready order).
    init(comm: Communicator, priority: [Int]) {
        self.comm = comm; self.priority = priority
        work = Array(repeating: nil, count: priority.count); done = Array(repeating: false, count: priority.count)
    }

    /// Bucket b's reduction is ready (compute thread).
    func ready(_ b: Int, _ reduction: @escaping () throws -> Void) {
        condition.lock(); work[b] = reduction; condition.broadcast(); condition.unlock()
    }

    /// Serves every bucket once, in the order rank 0 picks (the comm thread's job of a step);
    /// `timed(seconds)` after each reduction (the waits for readiness are not reducing time).
    func serveStep(timed: (Double) -> Void) throws {
        do {
            for _ in priority.indices {
                var pick: Float = 0
                if comm.rank == 0 { pick = Float(nextReady()) }
                var buffer = [pick]
                try buffer.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .sum) }
                let b = Int(buffer[0])
                precondition(priority.indices.contains(b), "EarliestLayerFirst: rank 0 picked bucket \(b)")
                let reduction = waitReady(b)
                let t0 = DispatchTime.now().uptimeNanoseconds
                StepTrace.mark("start", b); try reduction(); StepTrace.mark("end", b)
                timed(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                condition.lock(); done[b] = true; condition.broadcast(); condition.unlock()
            }
        } catch {
            condition.lock(); failed = true; condition.broadcast(); condition.unlock()
            throw error
        }
    }

    /// Waits until bucket b is reduced this step (or the step's reductions failed: the step's
    /// drain rethrows that).
    func wait(_ b: Int) {
        condition.lock(); while !done[b] && !failed { condition.wait() }; condition.unlock()
    }

    /// Forgets the step (after its job has finished).
    func reset() {
        condition.lock()
        for b in priority.indices { work[b] = nil; done[b] = false }
        failed = false
        condition.unlock()
    }

    /// Rank 0: the ready, not yet done bucket of the smallest priority (the first such: `min`
    /// keeps the earliest of equals), waiting for one.
    private func nextReady() -> Int {
        condition.lock(); defer { condition.unlock() }
        while true {
            let ready = priority.indices.filter { work[$0] != nil && !done[$0] }
            if let b = ready.min(by: { priority[$0] < priority[$1] }) { return b }
            condition.wait()
        }
    }

    private func waitReady(_ b: Int) -> () throws -> Void {
        condition.lock(); defer { condition.unlock() }
        while work[b] == nil { condition.wait() }
        return work[b]!
    }
}
