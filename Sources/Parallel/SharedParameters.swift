// Implements: SharedParameters, ZeRO stages 1–2 with every rank on this node: the ranks map ONE
// copy of the parameters (NodeMemory), each steps its own elements in place, and the allgather
// becomes a barrier at the end of the step. Safe because a rank writes elements of bucket b only
// after b's reduce-scatter, which needs every rank's gradients of b, so every rank has finished
// the backward of b's units (the last reads of those parameters in the step: so each layer's
// dL/dx, which reads its weights, must come before its parameter gradients); and no rank starts
// the next forward before the barrier, when every rank has written its elements. A restore writes
// the parameters from rank 0 only, then a barrier.
import Collectives
import NN
import Tensor

final class SharedParameters: ParameterSync {
    private let comm: Communicator, queue: ReductionQueue

    private init(comm: Communicator, queue: ReductionQueue) { self.comm = comm; self.queue = queue }

    /// Moves the model's parameters (rank 0's values) into memory every rank maps, if `node`
    /// can map it; else nil on every rank. Collective.
    static func place(_ model: any Model, node: NodeMemory, comm: Communicator, queue: ReductionQueue) throws -> SharedParameters? {
        let params = model.store.params
        guard let mapping = try queue.sync({ try node.mapping(count: params.count) }) else { return nil }
        if comm.rank == 0 { mapping.pointer.update(from: params.pointer, count: params.count) }
        try queue.sync { try comm.barrier() }   // nobody reads the copy before rank 0 has written it
        model.placeParameters(FloatBuffer(viewing: mapping.pointer, count: params.count, owner: mapping))
        // A layer's weights are read by its dL/dx after its gradients are handed over when it writes
        // them first; with one shared copy a rank ahead could then step them under the other rank's
        // dL/dx. So, here, every layer computes dL/dx before its parameter gradients.
        (model as? Sequential)?.parameterGradientsFirst = false
        return SharedParameters(comm: comm, queue: queue)
    }

    func stepped(_ b: Int) {}

    func finishStep() throws {
        queue.async { [comm] in try comm.barrier() }   // every rank has written its elements
        try queue.drain()
    }

    var writesParameters: Bool { comm.rank == 0 }

    func parametersWritten() throws { try queue.sync { [comm] in try comm.barrier() } }
}
