// Implements: ParameterSync, how the ranks' parameters agree again after each rank stepped its
// own elements, and its two simple forms. ReplicatedParameters: every rank stepped everything
// (stage 0, or one rank), nothing to do. GatheredParameters (stages 1–2, private copies): each
// bucket's parameters are allgathered as soon as this rank has stepped its chunk of it.
// SharedParameters.swift holds the third (one node-shared copy). ReductionChoice picks one.
import Collectives

/// How the ranks' parameters agree again after each rank stepped its own elements.
public protocol ParameterSync: AnyObject {
    /// This rank has stepped its elements of bucket b.
    func stepped(_ b: Int)
    /// After the step: returns when every rank's parameters are complete for the next forward.
    func finishStep() throws
    /// Whether this rank writes parameters set outside a step (a checkpoint restore).
    var writesParameters: Bool { get }
    /// Call on every rank after parameters were written outside a step.
    func parametersWritten() throws
    /// Whether, after the last step, every rank must hold bitwise the same parameters (what
    /// `--check-replicas` checks): always, except between local SGD's syncs.
    var replicasAgree: Bool { get }
}

extension ParameterSync {
    public var replicasAgree: Bool { true }
}

/// Every rank steps every element: nothing to exchange.
final class ReplicatedParameters: ParameterSync {
    func stepped(_ b: Int) {}
    func finishStep() throws {}
    var writesParameters: Bool { true }
    func parametersWritten() throws {}
}

/// Each rank steps its chunk of every bucket, then the bucket is allgathered (ring).
final class GatheredParameters: ParameterSync {
    private let comm: Communicator, queue: ReductionQueue, plan: BucketPlan
    private let params: () -> UnsafeMutablePointer<Float>

    init(comm: Communicator, queue: ReductionQueue, plan: BucketPlan, params: @escaping () -> UnsafeMutablePointer<Float>) {
        self.comm = comm; self.queue = queue; self.plan = plan; self.params = params
    }

    func stepped(_ b: Int) {
        let range = plan.buckets[b].range
        let view = UnsafeMutableBufferPointer(start: params() + range.lowerBound, count: range.count)
        queue.async { [comm] in try comm.allGather(view) }
    }

    func finishStep() throws { try queue.drain() }
    var writesParameters: Bool { true }
    func parametersWritten() throws {}
}
