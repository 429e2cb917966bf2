// Implements: DataParallel, one rank's side of data-parallel training (DDP/Horovod design):
// rank 0's parameters are broadcast at start; during backward each gradient bucket is handed to
// the comm thread the moment its last layer finishes, which ring-allreduces it (mean over ranks)
// while the compute thread goes on with earlier layers; before the optimizer step the trainer
// waits for all buckets. Micro-batches before the last of an accumulated step skip the
// reduction (DDP's no_sync). With one rank (no communicator) every call is local.
import Collectives
import Foundation
import NN
import Tensor

public final class DataParallel {
    public let model: Sequential
    public let comm: Communicator?
    public let worker: CommThread?
    public let plan: BucketPlan
    public var rank: Int { comm?.rank ?? 0 }
    public var size: Int { comm?.size ?? 1 }

    /// Seconds the comm thread spent reducing gradients, and seconds the compute thread waited
    /// for it after backward; 1 − waited/reducing is the share of communication hidden by overlap.
    public private(set) var reduceSeconds = 0.0, waitSeconds = 0.0
    private let timingLock = NSLock()

    /// - Parameters:
    ///   - comm: nil for a single process; otherwise it must only be used on `worker`.
    ///   - bucketBytes: Gradient bucket size (DDP's bucket_cap_mb).
    public init(model: Sequential, comm: Communicator?, worker: CommThread?, bucketBytes: Int) {
        precondition((comm == nil) == (worker == nil), "DataParallel needs a comm thread with a communicator")
        self.model = model
        self.comm = comm
        self.worker = worker
        plan = BucketPlan(layerRanges: model.layerRanges, bucketBytes: bucketBytes)
    }

    /// Copies rank 0's parameters to every rank.
    public func broadcastParameters() throws {
        guard let comm, let worker, comm.size > 1 else { return }
        let params = model.store.params
        try worker.sync { try comm.broadcast(UnsafeMutableBufferPointer(start: params.pointer, count: params.count), root: 0) }
    }

    /// Backward of one micro-batch. With `reduce`, every bucket is queued for a mean-allreduce as
    /// soon as it is ready; call `finishReduction()` before using the gradients.
    public func backward(_ dlogits: Tensor, accumulate: Bool, reduce: Bool) {
        guard reduce, let comm, let worker, comm.size > 1 else {
            model.backward(dlogits, accumulate: accumulate)
            return
        }
        let grads = model.store.grads.pointer
        model.backward(dlogits, accumulate: accumulate) { layer in
            for b in self.plan.ready(afterLayer: layer) {
                let range = self.plan.buckets[b].range
                worker.async {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    try comm.allReduce(UnsafeMutableBufferPointer(start: grads + range.lowerBound, count: range.count), op: .mean)
                    self.addTiming(reduce: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, wait: 0)
                }
            }
        }
    }

    /// Waits until every queued bucket is reduced; rethrows a collective's error.
    public func finishReduction() throws {
        guard let worker else { return }
        let t0 = DispatchTime.now().uptimeNanoseconds
        try worker.drain()
        addTiming(reduce: 0, wait: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
    }

    /// Element-wise sums of `values` over ranks (metrics: loss sums, correct counts).
    public func sumOverRanks(_ values: [Double]) throws -> [Double] {
        guard let comm, let worker, comm.size > 1 else { return values }
        // Two floats per value (high part and remainder), so counts up to 2^48 stay exact.
        var buf = [Float](repeating: 0, count: 2 * values.count)
        for (i, v) in values.enumerated() { let hi = Float(v); buf[2 * i] = hi; buf[2 * i + 1] = Float(v - Double(hi)) }
        let out: [Float] = try worker.sync {
            var b = buf
            try b.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .sum) }
            return b
        }
        return (0..<values.count).map { Double(out[2 * $0]) + Double(out[2 * $0 + 1]) }
    }

    /// Resets the overlap timers.
    public func resetTimers() {
        timingLock.lock(); reduceSeconds = 0; waitSeconds = 0; timingLock.unlock()
    }

    private func addTiming(reduce: Double, wait: Double) {
        timingLock.lock(); reduceSeconds += reduce; waitSeconds += wait; timingLock.unlock()
    }
}

extension DataParallel {
    /// FNV-1a over the bit patterns of every parameter.
    public func parameterHash() -> UInt64 {
        let p = UnsafeRawPointer(model.store.params.pointer).assumingMemoryBound(to: UInt32.self)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<model.store.params.count { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 }
        return h
    }

    /// Checks that every rank holds bitwise the same parameters as rank 0.
    /// - Throws: `ReplicaMismatch` naming how many ranks differ (the same error on every rank).
    public func checkReplicasIdentical(step: Int) throws {
        guard let comm, let worker, comm.size > 1 else { return }
        let h = parameterHash()
        // 64 bits as four exact 16-bit floats; rank 0's copy is broadcast, each rank compares,
        // and the count of differing ranks is summed so all ranks agree on the outcome.
        let mine: [Float] = (0..<4).map { Float((h >> (16 * UInt64($0))) & 0xFFFF) }
        let differing: Float = try worker.sync {
            var root = mine
            try root.withUnsafeMutableBufferPointer { try comm.broadcast($0, root: 0) }
            var flag: [Float] = [root == mine ? 0 : 1]
            try flag.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .sum) }
            return flag[0]
        }
        if differing > 0 { throw ReplicaMismatch(step: step, ranks: Int(differing)) }
    }
}

/// Replicas that should be identical are not.
public struct ReplicaMismatch: Error, CustomStringConvertible {
    public let step: Int, ranks: Int
    public var description: String { "after step \(step), the parameters of \(ranks) rank(s) differ from rank 0's" }
}
