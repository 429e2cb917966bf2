// Implements: LocalSGD, data-parallel training with `parallel.sync_every: H` > 1 (local SGD, Lin
// et al. 2020; Stich 2019): no gradient leaves a rank; every rank steps all parameters on its own
// gradients (ZeRO stage 0: the full optimizer state on each rank), and after every H-th optimizer
// step the ranks average their parameters and their optimizer state — one fp32 allreduce (mean)
// of the parameter buffer and one of each state buffer (Adam: m and v), ≈ (1 + state buffers) × Ψ
// floats every H steps against Ψ every step for per-step reduction: at H = 8 with Adam 3/8 of the
// bytes.
// Why the optimizer state is averaged too, at the cost of 3× the bytes of averaging parameters
// alone: right after a sync every rank holds the same complete state, so a checkpoint written
// there (JobSpec+LocalSGD.swift allows no other moment) is exact whichever rank writes which
// part, a resume is bitwise the uninterrupted run, and a restart on another number of ranks
// reshards as at stage 0. Kept local, the moments would differ between ranks and a checkpoint
// could hold only a mixture of them.
// Between syncs the replicas differ on purpose (`--check-replicas` checks at sync points only).
import Collectives
import NN

enum LocalSGD {
    /// With local SGD a rank's gradients stay its own: nothing is reduced during backward.
    static func gradients(of model: any Model) -> GradientReduction { LocalGradients(flat: { model.store.grads.pointer }) }
}

/// The ParameterSync of local SGD: after every `every`-th optimizer step, the mean over ranks of
/// the parameters and of every optimizer state buffer, bitwise the same on every rank.
final class AveragedParameters: ParameterSync {
    private let comm: Communicator, queue: ReductionQueue, every: Int
    private let model: any Model, sharded: ShardedOptimizer

    init(comm: Communicator, queue: ReductionQueue, every: Int, model: any Model, sharded: ShardedOptimizer) {
        precondition(every > 1, "local SGD syncs every H > 1 steps")
        self.comm = comm; self.queue = queue; self.every = every; self.model = model; self.sharded = sharded
    }

    func stepped(_ b: Int) {}

    /// The optimizers' step count (restored with a checkpoint) decides: all ranks sync at the same steps.
    func finishStep() throws {
        guard sharded.steps % every == 0 else { return }
        let params = model.store.params
        var buffers = [UnsafeMutableBufferPointer(start: params.pointer, count: params.count)]
        for (_, optimizer) in sharded.optimizers {
            buffers += optimizer.state.map { UnsafeMutableBufferPointer(start: $0.pointer, count: $0.count) }
        }
        try queue.waiting { try queue.sync { [comm] in for b in buffers { try comm.allReduce(b, op: .mean) } } }
    }

    var writesParameters: Bool { true }
    func parametersWritten() throws {}
    var replicasAgree: Bool { sharded.steps % every == 0 }
}
