// Implements: DataParallel, one rank's side of data-parallel training (DDP/Horovod design), and
// its ZeRO stages (DeepSpeed): rank 0's parameters are broadcast at start; during backward each
// gradient bucket is handed to the comm thread the moment its last layer finishes, and reduced
// (mean over ranks) while the compute thread goes on with earlier layers:
//   stage 0: ring allreduce of the bucket; every rank steps the whole buffer.
//   stage 1: ring reduce-scatter of the bucket; each rank steps only the elements it owns
//            (ZeroLayout; optimizer state for those alone), then allgathers the parameters.
//   stage 2: as 1, but the layers write gradients into ONE bucket-sized buffer: a bucket's own
//            chunk is copied out to the rank's gradient shard right after its reduce-scatter,
//            and a layer waits for that before it writes into the buffer again.
// Every rank on this node: the gradients live in node-shared memory (PeerBuffers), and a bucket's
// reduction reads the peers' gradients in place instead of passing them round the ring; a rank
// writes a bucket's gradients again only when every peer has read them.
// Shared parameters (stages 1 and 2, every rank on this node): the ranks map ONE copy of the
// parameters (NodeSharedMapping), each steps its own elements in place, and the allgather becomes
// a barrier at the end of the step. Safe because a rank writes elements of bucket b only after
// b's reduce-scatter, which needs every rank's gradients of b, so every rank has finished the
// backward of b's layers (the last reads of those parameters in the step); and no rank starts
// the next forward before the barrier, when every rank has written its elements.
// Micro-batches before the last of an accumulated step skip the reduction (DDP's no_sync) in
// stages 0 and 1; stage 2 reduces every micro-batch and accumulates into the shard.
// With one rank (no communicator) every reduction is skipped.
import Collectives
import Foundation
import NN
import Tensor

/// Bytes of model state one rank holds (activations not counted).
public struct MemoryAccount: Sendable, Equatable {
    public var parameterBytes: Int
    public var gradientBytes: Int
    public var optimizerBytes: Int
    public var total: Int { parameterBytes + gradientBytes + optimizerBytes }
}

public final class DataParallel {
    public let model: any Model
    public let comm: Communicator?
    public let worker: CommThread?
    public let plan: BucketPlan
    /// ZeRO stage: 0, 1 or 2.
    public let stage: Int
    /// This rank's owned ranges, their optimizers and packing.
    public let sharded: ShardedOptimizer
    /// This rank's optimizers, each with its range of the flat buffer.
    public var optimizers: [(range: Range<Int>, optimizer: Optimizer)] { sharded.optimizers }
    /// Clip the global L2 norm of the mean-reduced gradient to this (nil: no clipping).
    public let clipNorm: Float?
    /// With `clipNorm`: the last step's global gradient norm before clipping (the same on every rank).
    public private(set) var gradientNorm: Double = 0
    /// Stage 2: this rank's reduced gradients, its owned ranges packed in bucket order.
    public let shardGrads: FloatBuffer?
    /// The ranks hold one copy of the parameters in node-shared memory (see the file comment).
    public private(set) var sharesParameters = false
    public var rank: Int { comm?.rank ?? 0 }
    public var size: Int { comm?.size ?? 1 }

    /// Seconds the comm thread spent reducing gradients, and seconds the compute thread waited
    /// for it; 1 − waited/reducing is the share of communication hidden by overlap.
    public private(set) var reduceSeconds = 0.0, waitSeconds = 0.0
    private let timingLock = NSLock()
    private var owned: [Range<Int>] { sharded.owned }
    private var packedOffsets: [Int] { sharded.packedOffsets }
    private let bucketOfLayer: [Int?]
    /// Stage 0: the comm thread's ticket of each bucket's allreduce this step (nil: not queued).
    private var bucketTickets: [Int?]
    /// Stage 2: a bucket in the shared gradient buffer is queued and not yet copied out.
    private var scratchQueued = false
    /// Every rank on this node: the gradient regions reductions read in place (nil: the ring).
    private var peers: PeerBuffers?
    /// Reductions queued on `peers` so far, and the number of the last one of each bucket (0: none
    /// since its gradients were last written). The comm thread runs them in this order, so these
    /// are the numbers `PeerBuffers` gives them.
    private var peerCalls: Int64 = 0
    private var bucketCalls: [Int64]

    /// - Parameters:
    ///   - comm: nil for a single process; otherwise it must only be used on `worker`.
    ///   - bucketBytes: Gradient bucket size (DDP's bucket_cap_mb).
    ///   - stage: ZeRO stage 0, 1 or 2 (ignored with one rank, where it changes nothing).
    ///   - optimizer: The update rule; instantiated over the elements this rank steps.
    ///   - clipNorm: Clip the global L2 norm of the full mean-reduced gradient (over ranks and
    ///     shards) to this before any optimizer step, the same factor on every rank (PyTorch's
    ///     `clip_grad_norm_`: scale = min(1, clipNorm / (norm + 1e-6))).
    ///   - noDecay: Tensors whose weight decay is 0 (AdamW on ≥2-D weights only: `{ $0.shape.count < 2 }`).
    public init(model: any Model, comm: Communicator?, worker: CommThread?, bucketBytes: Int, stage: Int = 0,
                optimizer: OptimizerKind, learningRate: Float, clipNorm: Float? = nil,
                noDecay: (ParameterLayout.Entry) -> Bool = { _ in false }) {
        precondition((comm == nil) == (worker == nil), "DataParallel needs a comm thread with a communicator")
        precondition((0...2).contains(stage), "ZeRO stage \(stage)")
        self.model = model
        self.comm = comm
        self.worker = worker
        let n = comm?.size ?? 1, r = comm?.rank ?? 0
        self.stage = n > 1 ? stage : 0
        plan = BucketPlan(layerRanges: model.layerRanges, bucketBytes: bucketBytes)
        var bucketOf = [Int?](repeating: nil, count: model.layerRanges.count)
        for (b, bucket) in plan.buckets.enumerated() {
            for (i, lr) in model.layerRanges.enumerated() where !lr.isEmpty && bucket.range.contains(lr.lowerBound) { bucketOf[i] = b }
        }
        bucketOfLayer = bucketOf
        bucketTickets = [Int?](repeating: nil, count: plan.buckets.count)
        bucketCalls = [Int64](repeating: 0, count: plan.buckets.count)
        self.clipNorm = clipNorm
        let owned: [Range<Int>]
        if comm == nil || n == 1 {
            owned = [0 ..< model.parameterCount]
        } else if self.stage == 0 {
            // One optimizer per bucket, so that a bucket is stepped as soon as it is reduced.
            owned = plan.buckets.map(\.range)
        } else {
            owned = ZeroLayout(plan: plan, ranks: n).owned(by: r)
        }
        sharded = ShardedOptimizer(owned: owned, layout: model.store.layout, kind: optimizer, learningRate: learningRate, noDecay: noDecay)
        if self.stage == 2 {
            shardGrads = FloatBuffer(count: sharded.packedCount)
            // Each tensor's gradient sits at its offset within its bucket; all buckets share one buffer.
            let entries = model.store.layout.entries
            let gradOffsets = entries.map { e in e.offset - self.plan.buckets.first { $0.range.contains(e.offset) }!.range.lowerBound }
            model.placeGradients(offsets: gradOffsets, count: plan.buckets.map(\.range.count).max() ?? 0)
        } else {
            shardGrads = nil
        }
    }

    /// Bytes of parameters, gradients and optimizer state this rank holds.
    public var memory: MemoryAccount {
        MemoryAccount(parameterBytes: model.store.params.count * 4,
                      gradientBytes: (model.store.grads.count + (shardGrads?.count ?? 0)) * 4,
                      optimizerBytes: sharded.stateBytes)
    }

    /// Copies rank 0's parameters to every rank. With every rank on this node, also moves the
    /// gradients to node-shared memory and, at ZeRO stages 1 and 2, has the ranks share one copy
    /// of the parameters (rank 0's values) instead. Collective; call once, before training.
    public func broadcastParameters() throws {
        guard let comm, let worker, comm.size > 1 else { return }
        let grads = model.store.grads
        if let p = try worker.sync({ try comm.peerBuffers(count: grads.count) }) {
            model.placeGradients(offsets: model.store.gradOffsets, in: FloatBuffer(viewing: p.mine, count: grads.count, owner: p))
            peers = p
        }
        let params = model.store.params
        if stage >= 1, let mapping = try worker.sync({ try comm.nodeSharedMapping(count: params.count) }) {
            if comm.rank == 0 { mapping.pointer.update(from: params.pointer, count: params.count) }
            try worker.sync { try comm.barrier() }   // nobody reads the copy before rank 0 has written it
            model.placeParameters(FloatBuffer(viewing: mapping.pointer, count: params.count, owner: mapping))
            sharesParameters = true
            return
        }
        try worker.sync { try comm.broadcast(UnsafeMutableBufferPointer(start: params.pointer, count: params.count), root: 0) }
    }

    /// Backward of one micro-batch. With `reduce`, every bucket is queued for reduction as soon as
    /// it is ready; call `finishReduction()` before `step()`. `accumulate` adds this micro-batch's
    /// gradients to the previous ones of the same step.
    public func backward(_ dlogits: Tensor, accumulate: Bool, reduce: Bool) {
        guard let comm, let worker, comm.size > 1 else {
            model.backward(dlogits, accumulate: accumulate)
            return
        }
        if stage == 2 {
            // A layer may write into the shared buffer only once the bucket queued before it has
            // left it (its reduce-scatter and copy-out are done).
            model.backward(dlogits, accumulate: false, beforeGrads: { layer in
                guard self.bucketOfLayer[layer] != nil else { return }
                if self.scratchQueued {
                    self.waitForComm()
                    self.scratchQueued = false
                }
                self.waitUntilPeersRead(self.peerCalls)
            }, layerDone: { layer in
                for b in self.plan.ready(afterLayer: layer) {
                    self.queueReduceScatterToShard(b, accumulate: accumulate, comm, worker)
                    self.scratchQueued = true
                }
            })
            return
        }
        guard reduce else {
            model.backward(dlogits, accumulate: accumulate)
            return
        }
        let grads = model.store.grads.pointer
        model.backward(dlogits, accumulate: accumulate, beforeGrads: { layer in
            // Stage 0 has no barrier between steps: wait until the peers have gathered from this bucket.
            guard let b = self.bucketOfLayer[layer], self.bucketCalls[b] > 0 else { return }
            self.waitUntilPeersRead(self.bucketCalls[b])
            self.bucketCalls[b] = 0
        }, layerDone: { layer in
            for b in self.plan.ready(afterLayer: layer) {
                let range = self.plan.buckets[b].range
                let view = UnsafeMutableBufferPointer(start: grads + range.lowerBound, count: range.count)
                let scatter = self.stage == 1, peers = self.peers
                if peers != nil { self.peerCalls += 1; self.bucketCalls[b] = self.peerCalls }
                self.bucketTickets[b] = worker.async {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    if let peers {
                        let call = try peers.reduceScatter(range, op: .mean)
                        if !scatter { try peers.allGather(range, call: call) }
                    } else if scatter {
                        try comm.reduceScatter(view, op: .mean)
                    } else {
                        try comm.allReduce(view, op: .mean)
                    }
                    self.addTiming(reduce: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, wait: 0)
                }
            }
        })
    }

    /// Waits until every peer has read this rank's gradients for reduction `call` and the ones
    /// before (gathered them at stage 0, reduced them otherwise); an error is kept for `step()`.
    private func waitUntilPeersRead(_ call: Int64) {
        guard let peers, call > 0 else { return }
        do { try waiting { try peers.waitUntilRead(call, gathered: stage == 0) } } catch { deferredError = error }
    }

    /// Stage 2: reduce-scatter bucket b in the shared gradient buffer, then move this rank's chunk
    /// into its shard (= on the first micro-batch of a step, += after), freeing the buffer.
    private func queueReduceScatterToShard(_ b: Int, accumulate: Bool, _ comm: Communicator, _ worker: CommThread) {
        let bucket = plan.buckets[b], scratch = model.store.grads.pointer, shard = shardGrads!.pointer
        let mine = owned[b], dst = shard + packedOffsets[b], src = scratch + (mine.lowerBound - bucket.range.lowerBound)
        let peers = self.peers
        if peers != nil { peerCalls += 1 }
        worker.async {
            let t0 = DispatchTime.now().uptimeNanoseconds
            if let peers {
                try peers.reduceScatter(0 ..< bucket.range.count, op: .mean)
            } else {
                try comm.reduceScatter(UnsafeMutableBufferPointer(start: scratch, count: bucket.range.count), op: .mean)
            }
            if accumulate { axpy(1, src, dst, count: mine.count) } else { dst.update(from: src, count: mine.count) }
            self.addTiming(reduce: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, wait: 0)
        }
    }

    /// Waits until every queued reduction is done; rethrows a collective's error. At stages 0
    /// and 1 the wait is left to `step()`, which steps each bucket the moment its reduction is
    /// done, so the last bucket's reduction overlaps the optimizer step of the others.
    public func finishReduction() throws {
        guard worker != nil, stage == 2 else { return }
        scratchQueued = false
        try waiting { try worker!.drain() }
    }

    /// Waits for bucket b's reduction, if one is queued this step.
    private func waitForBucket(_ b: Int, _ worker: CommThread) {
        guard let ticket = bucketTickets[b] else { return }
        waiting { worker.wait(for: ticket) }
        bucketTickets[b] = nil
    }

    /// Runs `body`, counting its time as the compute thread waiting for communication.
    private func waiting<T>(_ body: () throws -> T) rethrows -> T {
        let t0 = DispatchTime.now().uptimeNanoseconds
        defer { addTiming(reduce: 0, wait: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9) }
        return try body()
    }

    /// Waits for the comm thread inside backward; an error is kept for `finishReduction`.
    private func waitForComm() {
        do { try waiting { try worker!.drain() } } catch { deferredError = error }
    }
    private var deferredError: Error?

    /// The optimizer step on this rank's elements (after clipping, with `clipNorm`), then (ZeRO)
    /// the allgather of the parameters, bucket by bucket, each queued as soon as its owned range is stepped.
    public func step() throws {
        if let e = deferredError { deferredError = nil; throw e }
        let params = model.store.params.pointer
        guard let comm, let worker, size > 1 else {
            let scale = try clipScale(nil, nil)
            for b in 0..<sharded.groupCount { sharded.step(group: b, params: params, grads: gradientBase(b), scale: scale) }
            return
        }
        // Clipping needs the whole reduced gradient first: every bucket's reduction is waited for.
        var scale: Float = 1
        if clipNorm != nil {
            for b in 0..<owned.count { waitForBucket(b, worker) }
            scale = try clipScale(comm, worker)
        }
        if stage == 0 {
            for b in 0..<sharded.groupCount {
                waitForBucket(b, worker)
                sharded.step(group: b, params: params, grads: gradientBase(b), scale: scale)
            }
            try worker.drain()   // rethrows a failed allreduce (its bucket was skipped, not stepped twice)
            return
        }
        for b in 0..<owned.count {
            // Stage 1: step a bucket as soon as its reduce-scatter is done (see stage 0 above).
            waitForBucket(b, worker)
            sharded.step(group: b, params: params, grads: gradientBase(b), scale: scale)
            guard !sharesParameters else { continue }
            let bucket = plan.buckets[b].range
            worker.async { try comm.allGather(UnsafeMutableBufferPointer(start: params + bucket.lowerBound, count: bucket.count)) }
        }
        if sharesParameters { worker.async { try comm.barrier() } }   // every rank has written its elements
        try worker.drain()
    }

    /// Where group b's reduced gradients are read (stage 2: the packed shard).
    private func gradientBase(_ b: Int) -> UnsafePointer<Float> {
        sharded.gradientBase(group: b, flat: UnsafePointer(model.store.grads.pointer), packed: shardGrads.map { UnsafePointer($0.pointer) })
    }

    /// With `clipNorm`: sets `gradientNorm` from this rank's owned reduced gradients (summed over
    /// ranks at stages 1–2, where each rank owns a part; at stage 0 every rank has them all) and
    /// returns the factor every rank applies. Without: 1.
    private func clipScale(_ comm: Communicator?, _ worker: CommThread?) throws -> Float {
        guard let clipNorm else { return 1 }
        var local = 0.0
        for b in 0..<sharded.groupCount { local += sharded.sumOfSquares(group: b, grads: gradientBase(b)) }
        if stage >= 1, let comm, let worker { local = try worker.sync { try comm.sumOverRanks([local]) }[0] }
        gradientNorm = local.squareRoot()
        let factor = Double(clipNorm) / (gradientNorm + 1e-6)
        return factor < 1 ? Float(factor) : 1
    }

    /// Call on every rank after parameters were written outside `step()` (a checkpoint restore):
    /// with shared parameters only rank 0 writes them, and this waits until it has.
    public func parametersWritten() throws {
        guard sharesParameters, let comm, let worker else { return }
        try worker.sync { try comm.barrier() }
    }

    /// Whether this rank writes the parameters when they are set outside `step()` (every rank,
    /// unless the ranks share one copy: then rank 0).
    public var writesParameters: Bool { !sharesParameters || rank == 0 }

    /// Sets every optimizer's learning rate.
    public func setLearningRate(_ lr: Float) { sharded.setLearningRate(lr) }

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
