// Implements: the optimizer step of DataParallel bucket by bucket, and the step left to the next
// forward: across nodes each bucket's reduction ends at its own time, and the next forward needs
// layer 1's parameters first, so it waits for (and steps) only the buckets of the unit it is
// about to run while the later layers' buckets are still on the link. Only where a bucket's
// update needs nothing but its own reduced gradient: no clipping (that needs the whole gradient),
// stage 0's exchange (stages 1–2 allgather the parameters after the step), gradients in pieces
// (across nodes). `COHORT_FORWARD_WAITS=0` keeps the whole step before the next forward.
import Foundation
import Tensor

extension DataParallel {
    /// Whether `step(untilForward: true)` may leave buckets to the next forward (see the header).
    var defersStep: Bool {
        clipNorm == nil && exchangeStage == 0 && size > 1 && cuts.contains { !$0.isEmpty }
            && ProcessInfo.processInfo.environment["COHORT_FORWARD_WAITS"] != "0"
    }

    /// Waits for bucket b's reduction, steps this rank's elements of it and hands it to the parameter sync.
    func stepGroup(_ b: Int, scale: Float) {
        reduction.waitForBucket(b)
        sharded.step(group: b, params: model.store.params.pointer, grads: reduction.gradients(group: b), scale: scale)
        parameters.stepped(b)
    }

    /// The end of a step: every reduction and parameter exchange done; rethrows their first error.
    func finishStep() throws {
        try reduction.finishStep()
        try parameters.finishStep()
    }

    /// The model's output for x (B, input…), after finishing the last step where it was left to
    /// this forward: each unit's buckets are stepped right before that unit runs.
    /// - Throws: The first error of the last step's reductions.
    public func forward(_ x: Tensor) throws -> Tensor {
        guard !unstepped.isEmpty else { return model.forward(x) }
        let out = model.forward(x, beforeUnit: { u in
            for b in self.plan.bucketsOfLayer[u] where self.unstepped[b] {
                self.stepGroup(b, scale: 1)
                self.unstepped[b] = false
            }
        })
        try settle()
        return out
    }

    /// Finishes a step left to the next forward, if any: call before reading the parameters
    /// outside `forward(_:)` (a checkpoint, an evaluation, the end of training).
    public func settle() throws {
        guard !unstepped.isEmpty else { return }
        for b in unstepped.indices where unstepped[b] { stepGroup(b, scale: 1) }
        unstepped = []
        try finishStep()
    }
}
