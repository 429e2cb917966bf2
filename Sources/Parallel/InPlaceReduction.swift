// Implements: InPlaceReduction, ZeRO stages 0 and 1: each bucket is reduced where the layers
// wrote it, in the model's flat gradient buffer, as soon as backward finishes its last unit; the
// optimizer reads the same buffer (stage 0: all of it, gathered; stage 1: the rank's own chunks).
// Micro-batches before the step's last one are not reduced (DDP's no_sync): the layers add their
// gradients, and the last micro-batch's reduction carries the sum. The comm thread serves the
// buckets in the order backward makes them ready (FIFO).
import NN

final class InPlaceReduction: GradientReduction {
    var transport: ReductionTransport?
    private let model: any Model
    private let plan: BucketPlan
    private let queue: ReductionQueue
    private var tickets: BucketTickets

    init(model: any Model, plan: BucketPlan, transport: ReductionTransport, queue: ReductionQueue) {
        self.model = model; self.plan = plan; self.transport = transport; self.queue = queue
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
        tickets.set(b, queue.async { StepTrace.mark("start", b); try work(); StepTrace.mark("end", b) })
    }

    func waitForBucket(_ b: Int) {
        StepTrace.mark("wait", b)
        tickets.wait(b, on: queue)
        StepTrace.mark("waited", b)
    }

    func finishStep() throws {
        tickets.clear()
        try queue.drain()   // rethrows a failed reduction (its bucket was skipped, not stepped twice)
    }

    func gradients(group b: Int) -> UnsafePointer<Float> { UnsafePointer(model.store.grads.pointer) }
}
