// Implements: InPlaceReduction, ZeRO stages 0 and 1: each bucket is reduced where the layers
// wrote it, in the model's flat gradient buffer, as soon as backward finishes its last unit; the
// optimizer reads the same buffer (stage 0: all of it, gathered; stage 1: the rank's own chunks).
// Micro-batches before the step's last one are not reduced (DDP's no_sync): the layers add their
// gradients, and the last micro-batch's reduction carries the sum. With `order` (across nodes, opt-in)
// the comm thread serves the step's buckets earliest layer first (EarliestLayerFirst.swift)
// instead of in the order backward made them ready.
import NN

final class InPlaceReduction: GradientReduction {
    var transport: ReductionTransport?
    private let model: any Model
    private let plan: BucketPlan
    private let queue: ReductionQueue
    private var tickets: BucketTickets
    private let order: EarliestLayerFirst?
    /// With `order`: this step's job that serves every bucket is queued.
    private var serving = false

    init(model: any Model, plan: BucketPlan, transport: ReductionTransport, queue: ReductionQueue, order: EarliestLayerFirst? = nil) {
        self.model = model; self.plan = plan; self.transport = transport; self.queue = queue; self.order = order
        tickets = BucketTickets(buckets: plan.buckets.count)
    }

    var reducesEveryMicroBatch: Bool { false }
    var extraGradientBytes: Int { 0 }

    func beforeWrite(_ b: Int) {
        guard let transport else { return }
        queue.keep { try transport.waitUntilRead(plan.buckets[b].range) }
    }

    func bucketReady(_ b: Int, last: Bool, accumulate: Bool) {
        guard last, let transport else { return }
        StepTrace.mark("ready", b)
        let work = transport.reduction(of: plan.buckets[b].range, in: model.store.grads.pointer, offset: plan.buckets[b].range.lowerBound)
        if let order {
            if !serving { serving = true; queue.asyncTimingItself { [queue] in try order.serveStep(timed: queue.addReducing) } }
            return order.ready(b, work)
        }
        tickets.set(b, queue.async { StepTrace.mark("start", b); try work(); StepTrace.mark("end", b) })
    }

    func waitForBucket(_ b: Int) {
        StepTrace.mark("wait", b)
        if let order { queue.waiting { order.wait(b) } } else { tickets.wait(b, on: queue) }
        StepTrace.mark("waited", b)
    }

    func finishStep() throws {
        tickets.clear()
        defer { if serving { order?.reset(); serving = false } }
        try queue.drain()   // rethrows a failed reduction (its bucket was skipped, not stepped twice)
    }

    func gradients(group b: Int) -> UnsafePointer<Float> { UnsafePointer(model.store.grads.pointer) }
}
