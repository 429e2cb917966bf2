// Implements: DataParallel, one rank's side of data-parallel training (DDP/Horovod design, with
// DeepSpeed's ZeRO stages 0–2): the bucket bookkeeping and the order of one step. Rank 0's
// parameters are copied to every rank at start; during backward each gradient bucket is handed
// to its reduction the moment its last unit finishes, and reduced (mean over ranks) on the comm
// thread while the compute thread goes on with earlier units; then each rank clips (optional) and
// steps the elements it owns, and the parameters are made to agree again. What a stage or a
// transport does lives in its own file, chosen once in ReductionChoice.swift. With one rank (no
// communicator) nothing is exchanged.
import Collectives
import Foundation
import NN
import Tensor

/// One rank's side of data-parallel training with ZeRO stages 0–2.
public final class DataParallel {
    /// The model replica, the communicator (nil: one process) and the comm thread it runs on.
    public let model: any Model, comm: Communicator?, worker: CommThread?
    /// The gradient buckets.
    public let plan: BucketPlan
    /// ZeRO stage: 0, 1 or 2 (0 with one rank); `exchangeStage` is the one whose exchange runs.
    public let stage: Int, exchangeStage: Int
    /// This rank's owned ranges, their optimizers and packing.
    public let sharded: ShardedOptimizer
    /// Clip the global L2 norm of the mean-reduced gradient to this (nil: no clipping).
    public let clipNorm: Float?
    /// With `clipNorm`: the last step's global gradient norm before clipping (the same on every rank).
    public internal(set) var gradientNorm: Double = 0
    /// This rank and the number of ranks (0 and 1 without a communicator).
    public var rank: Int { comm?.rank ?? 0 }
    public var size: Int { comm?.size ?? 1 }
    let queue: ReductionQueue?
    var reduction: GradientReduction
    var parameters: ParameterSync
    /// Per optimizer group, whether the last `step(untilForward: true)` left it to the next forward.
    var unstepped: [Bool] = []
    /// Per unit, where its gradients are cut into pieces (ReductionChoice.gradientCuts).
    let cuts: [[Int]]

    /// - Parameters:
    ///   - comm: nil for a single process; otherwise it must only be used on `worker`.
    ///   - bucketBytes: Gradient bucket size (DDP's bucket_cap_mb).
    ///   - stage: ZeRO stage 0, 1 or 2 (ignored with one rank, where it changes nothing).
    ///   - optimizer: The update rule; instantiated over the elements this rank steps.
    ///   - clipNorm: Clip the global L2 norm of the full mean-reduced gradient (over ranks and
    ///     shards) to this before any optimizer step, the same factor on every rank (PyTorch's
    ///     `clip_grad_norm_`: scale = min(1, clipNorm / (norm + 1e-6))).
    ///   - noDecay: Tensors whose weight decay is 0 (AdamW on ≥2-D weights only: `{ $0.shape.count < 2 }`).
    ///   - gradientFormat: What gradients are on the links between nodes (fp32, or bf16/fp16 with
    ///     error feedback, at every stage); the node-local paths stay fp32.
    ///   - syncEvery: Local SGD above 1 (stage 0 only): average parameters and optimizer state
    ///     every this many steps instead of reducing gradients (LocalSGD.swift).
    ///   - memoryLimitBytes: The model state a rank may hold; stage 2 then keeps one scratch slot
    ///     where two would not fit (ShardedGradients.swift).
    public init(model: any Model, comm: Communicator?, worker: CommThread?, bucketBytes: Int, stage: Int = 0,
                optimizer: OptimizerKind, learningRate: Float, clipNorm: Float? = nil,
                noDecay: (ParameterLayout.Entry) -> Bool = { _ in false }, gradientFormat: WireFormat = .fp32, syncEvery: Int = 1,
                memoryLimitBytes: Int? = nil) {
        precondition((comm == nil) == (worker == nil), "DataParallel needs a comm thread with a communicator")
        precondition((0...2).contains(stage), "ZeRO stage \(stage)")
        let n = comm?.size ?? 1
        self.model = model; self.comm = comm; self.worker = worker; self.clipNorm = clipNorm
        self.stage = n > 1 ? stage : 0
        exchangeStage = ReductionChoice.exchangeStage(self.stage, comm: comm, format: gradientFormat)
        cuts = ReductionChoice.gradientCuts(model: model, comm: comm, stage: exchangeStage, syncEvery: syncEvery)
        let pieced = cuts.contains { !$0.isEmpty }
        plan = BucketPlan(layerRanges: model.layerRanges, bucketBytes: pieced ? min(bucketBytes, ReductionChoice.pieceBytes) : bucketBytes, cuts: cuts)
        let owned = ReductionChoice.owned(stage: exchangeStage, plan: plan, rank: comm?.rank ?? 0, ranks: n, count: model.parameterCount)
        sharded = ShardedOptimizer(owned: owned, layout: model.store.layout, kind: optimizer, learningRate: learningRate, noDecay: noDecay)
        queue = worker.map { ReductionQueue(worker: $0) }
        reduction = ReductionChoice.reduction(stage: exchangeStage, model: model, plan: plan, sharded: sharded, comm: comm, queue: queue,
                                             format: gradientFormat, syncEvery: syncEvery, memoryLimitBytes: memoryLimitBytes)
        parameters = ReductionChoice.parameters(stage: exchangeStage, model: model, plan: plan, comm: comm, queue: queue,
                                                sharded: sharded, syncEvery: syncEvery)
    }

    /// Bytes of parameters, gradients and optimizer state this rank holds.
    public var memory: MemoryAccount {
        MemoryAccount(parameterBytes: model.store.params.count * 4,
                      gradientBytes: model.store.grads.count * 4 + reduction.extraGradientBytes, optimizerBytes: sharded.stateBytes)
    }

    /// The ranks hold one copy of the parameters in node-shared memory (SharedParameters.swift).
    public var sharesParameters: Bool { parameters is SharedParameters }

    /// Copies rank 0's parameters to every rank. With every rank on this node, moves the gradients
    /// to node-shared memory first and, at stages 1–2, has the ranks share one copy of the
    /// parameters (rank 0's values) instead. Collective; call once, before training.
    public func broadcastParameters() throws {
        guard let comm, let queue, comm.size > 1 else { return }
        if let shared = try ReductionChoice.placeOnNode(stage: exchangeStage, model: model, reduction: reduction, comm: comm, queue: queue) {
            parameters = shared
            return
        }
        let params = model.store.params
        try queue.sync { try comm.broadcast(UnsafeMutableBufferPointer(start: params.pointer, count: params.count), root: 0) }
    }

    /// Backward of one micro-batch. With `reduce` (the step's last micro-batch), every bucket is
    /// reduced as soon as it is ready; `accumulate` adds this micro-batch's gradients to the
    /// previous ones of the same step. Then `finishReduction()` and `step()`.
    public func backward(_ dlogits: Tensor, accumulate: Bool, reduce: Bool) {
        precondition(unstepped.isEmpty, "DataParallel.backward: the last step was not settled")
        guard size > 1 else { return model.backward(dlogits, accumulate: accumulate) }
        let reduction = self.reduction, plan = self.plan
        model.backward(dlogits, accumulate: accumulate && !reduction.reducesEveryMicroBatch, cuts: cuts, beforeGrads: { u in
            for b in plan.bucketsOfLayer[u] { reduction.beforeWrite(b) }
        }, pieceDone: { u, k in
            for b in plan.ready(afterLayer: u, piece: k) { reduction.bucketReady(b, last: reduce, accumulate: accumulate) }
        }, layerDone: nil)
    }

    /// Kept for callers: `step()` waits for each bucket's reduction itself, so that the last
    /// bucket's reduction overlaps the optimizer step of the others.
    public func finishReduction() throws {}

    /// Clips (with `clipNorm`), steps this rank's elements bucket by bucket as each reduction is
    /// done, and makes the parameters agree again (ParameterSync). With `untilForward`, where
    /// `defersStep` allows it, each bucket is stepped instead by the next `forward(_:)`, right
    /// before the first unit that reads it, or by `settle()`.
    public func step(untilForward: Bool = false) throws {
        precondition(unstepped.isEmpty, "DataParallel.step: the last step was not settled")
        var scale: Float = 1
        if clipNorm != nil { scale = try clipScale() }   // needs the whole reduced gradient first
        if untilForward && defersStep { unstepped = Array(repeating: true, count: sharded.groupCount); return }
        for b in 0..<sharded.groupCount { stepGroup(b, scale: scale) }
        try finishStep()
    }

    /// Call on every rank after parameters were written outside `step()` (a checkpoint restore).
    public func parametersWritten() throws { try parameters.parametersWritten() }

    /// Whether this rank writes the parameters when they are set outside `step()` (every rank,
    /// unless the ranks share one copy: then rank 0).
    public var writesParameters: Bool { parameters.writesParameters }

    /// Sets every optimizer's learning rate.
    public func setLearningRate(_ lr: Float) { sharded.setLearningRate(lr) }
}
