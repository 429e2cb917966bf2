// Implements: ReductionChoice, the one place where data-parallel training looks at the ZeRO stage
// and at the topology, once, at start:
//   which elements a rank steps   stage 0: every bucket (one optimizer group per bucket, stepped
//                                 as soon as it is reduced); stages 1–2: its ZeroLayout chunk of
//                                 every bucket; one rank: everything
//   GradientReduction             stages 0–1: InPlaceReduction; stage 2: ShardedGradients
//   ReductionTransport            every rank on this node with node-shared memory:
//                                 PeerBufferReduction; a 16-bit gradient format (between
//                                 nodes): CompressedRing; otherwise RingAllReduce (stage 0) or
//                                 RingReduceScatter (stages 1–2)
//   ParameterSync                 stage 0: ReplicatedParameters; stages 1–2: SharedParameters on
//                                 one node, else GatheredParameters
//   the exchange of stage 1       stage 0's (allreduce, every rank steps everything) across nodes
//                                 with a 16-bit format: both halves of the allreduce go 16-bit,
//                                 where stage 1's parameter allgather goes fp32 (W at 1 Gbit/s:
//                                 4,563 against 3,926 samples/s); the optimizer state is then
//                                 not sharded
//   across nodes                  how a ring call crosses them is the communicator's, fixed at
//                                 its start: a flat socket ring, or with several ranks per node the
//                                 hierarchy (MPICommunicator+Hierarchy.swift, COHORT_HIERARCHICAL),
//                                 and the direct schedule below the tuned size (AlgorithmTable.swift);
//                                 across nodes the comm thread runs at a raised priority
// A new stage or transport is a new file conforming to one of these protocols and a case here.
import Collectives
import Foundation
import NN
import Tensor

enum ReductionChoice {
    /// The stage whose exchange runs for `stage` (see the header).
    static func exchangeStage(_ stage: Int, comm: Communicator?, format: WireFormat) -> Int {
        guard stage == 1, format != .fp32, (comm as? MPICommunicator)?.usesSockets == true else { return stage }
        return 0
    }

    /// Bytes of a gradient piece across nodes (`COHORT_PIECE_KB`, 0: whole layers).
    static let pieceBytes = (Int(ProcessInfo.processInfo.environment["COHORT_PIECE_KB"] ?? "") ?? 512) * 1024

    /// Where layers' gradients are cut into pieces that are reduced on their own: across nodes
    /// (the socket ring), where the link, not memory bandwidth, is the limit and each piece leaves
    /// while backward computes the next one; with stage 0–1's exchange of every step's gradients
    /// (stage 2 lays out its scratch buffer by whole tensors; local SGD exchanges no gradients).
    static func gradientCuts(model: any Model, comm: Communicator?, stage: Int, syncEvery: Int) -> [[Int]] {
        guard pieceBytes > 0, stage <= 1, syncEvery == 1, (comm as? MPICommunicator)?.usesSockets == true else {
            return model.layerRanges.map { _ in [] }
        }
        return model.gradientCuts(maxElements: pieceBytes / 4)
    }

    static func owned(stage: Int, plan: BucketPlan, rank: Int, ranks: Int, count: Int) -> [Range<Int>] {
        if ranks == 1 { return [0 ..< count] }
        if stage == 0 { return plan.buckets.map(\.range) }
        return ZeroLayout(plan: plan, ranks: ranks).owned(by: rank)
    }

    /// The stage's reduction over the ring (node-shared buffers are chosen in `placeOnNode`).
    static func reduction(stage: Int, model: any Model, plan: BucketPlan, sharded: ShardedOptimizer,
                          comm: Communicator?, queue: ReductionQueue?, format: WireFormat, syncEvery: Int = 1,
                          memoryLimitBytes: Int? = nil) -> GradientReduction {
        guard let comm, let queue, comm.size > 1 else { return LocalGradients(flat: { model.store.grads.pointer }) }
        if syncEvery > 1 { return LocalSGD.gradients(of: model) }   // local SGD: gradients stay on the rank
        if (comm as? MPICommunicator)?.usesSockets == true { queue.worker.raisePriority() }   // CommThread.swift says why
        let ring = format == .fp32 ? transport(stage: stage, comm: comm, peers: nil)
            : CompressedRing(comm: comm, format: format, gather: stage == 0, count: model.parameterCount)
        if stage == 2 {
            return ShardedGradients(model: model, plan: plan, sharded: sharded, transport: ring, queue: queue,
                                    slots: stageTwoSlots(model: model, plan: plan, sharded: sharded, memoryLimitBytes: memoryLimitBytes))
        }
        return InPlaceReduction(model: model, plan: plan, transport: ring, queue: queue)
    }

    /// Stage 2's scratch slots: two (backward fills one bucket while the other is reduced) where
    /// they hold less than the model's whole gradient (stage 1's buffer) and the model state still
    /// fits the memory limit; otherwise one.
    static func stageTwoSlots(model: any Model, plan: BucketPlan, sharded: ShardedOptimizer, memoryLimitBytes: Int?) -> Int {
        let two = ShardedGradients.scratchCount(plan: plan, slots: 2)
        guard two < model.parameterCount else { return 1 }
        let state = 4 * (model.store.params.count + sharded.packedCount + two) + sharded.stateBytes
        return memoryLimitBytes.map { state <= $0 } ?? true ? 2 : 1
    }

    static func transport(stage: Int, comm: Communicator, peers: PeerBuffers?) -> ReductionTransport {
        if let peers { return PeerBufferReduction(peers: peers, gather: stage == 0) }
        return stage == 0 ? RingAllReduce(comm: comm) : RingReduceScatter(comm: comm)
    }

    /// The stage's parameter exchange with private copies of the parameters.
    /// Local SGD (`syncEvery` > 1, stage 0 only: JobSpec refuses others) averages parameters and
    /// optimizer state every `syncEvery` steps instead (LocalSGD.swift).
    static func parameters(stage: Int, model: any Model, plan: BucketPlan, comm: Communicator?, queue: ReductionQueue?,
                           sharded: ShardedOptimizer, syncEvery: Int = 1) -> ParameterSync {
        guard let comm, let queue, comm.size > 1 else { return ReplicatedParameters() }
        if syncEvery > 1 {
            precondition(stage == 0, "local SGD needs ZeRO stage 0")
            return AveragedParameters(comm: comm, queue: queue, every: syncEvery, model: model, sharded: sharded)
        }
        guard stage >= 1 else { return ReplicatedParameters() }
        return GatheredParameters(comm: comm, queue: queue, plan: plan, params: { model.store.params.pointer })
    }

    /// With every rank on this node: moves the gradients to node-shared regions (and the
    /// reduction onto them) and, at stages 1–2, the parameters (rank 0's) to one shared copy,
    /// returned; nil when the parameters stay private. Collective.
    static func placeOnNode(stage: Int, model: any Model, reduction: GradientReduction, comm: Communicator,
                            queue: ReductionQueue) throws -> ParameterSync? {
        let node = NodeMemory(comm: comm), grads = model.store.grads
        if let peers = try queue.sync({ try node.peerBuffers(count: grads.count) }) {
            model.placeGradients(offsets: model.store.gradOffsets, in: FloatBuffer(viewing: peers.mine, count: grads.count, owner: peers))
            reduction.transport = transport(stage: stage, comm: comm, peers: peers)
        }
        guard stage >= 1 else { return nil }
        return try SharedParameters.place(model, node: node, comm: comm, queue: queue)
    }
}
