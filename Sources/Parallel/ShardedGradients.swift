// Implements: ShardedGradients, ZeRO stage 2: the layers write their gradients into ONE
// bucket-sized buffer (every bucket's tensors at their offsets within their bucket); right after
// a bucket's reduce-scatter the comm thread moves this rank's chunk out to its gradient shard
// (= on the step's first micro-batch, += after), and a unit waits for that before it writes
// into the buffer again. Every micro-batch is reduced, and accumulated in the shard. The shard
// packs the rank's owned ranges in bucket order (ShardedOptimizer.packedOffsets).
import NN
import Tensor

final class ShardedGradients: GradientReduction {
    var transport: ReductionTransport?
    private let model: any Model
    private let plan: BucketPlan
    private let sharded: ShardedOptimizer
    private let queue: ReductionQueue
    /// This rank's reduced gradients, (Σ owned counts).
    private let shard: FloatBuffer
    private var tickets: BucketTickets
    /// The last bucket queued, while it may still occupy the buffer.
    private var occupying: Int?

    /// Moves the model's gradients into one buffer of the largest bucket's size.
    init(model: any Model, plan: BucketPlan, sharded: ShardedOptimizer, transport: ReductionTransport, queue: ReductionQueue) {
        self.model = model; self.plan = plan; self.sharded = sharded; self.transport = transport; self.queue = queue
        shard = FloatBuffer(count: sharded.packedCount)
        tickets = BucketTickets(buckets: plan.buckets.count)
        let offsets = model.store.layout.entries.map { e in e.offset - plan.buckets.first { $0.range.contains(e.offset) }!.range.lowerBound }
        model.placeGradients(offsets: offsets, count: plan.buckets.map(\.range.count).max() ?? 0)
    }

    var reducesEveryMicroBatch: Bool { true }
    var extraGradientBytes: Int { shard.count * 4 }

    /// The buffer is free once the bucket queued before has been moved out and every peer has read it.
    func beforeWrite(_ b: Int) {
        if let previous = occupying, let ticket = tickets.pending(previous) { queue.wait(for: ticket) }
        occupying = nil
        guard let transport else { return }
        queue.keep { try transport.waitUntilRead(0 ..< plan.buckets[b].range.count) }
    }

    func bucketReady(_ b: Int, last: Bool, accumulate: Bool) {
        guard let transport else { return }
        let bucket = plan.buckets[b].range, mine = sharded.owned[b], scratch = model.store.grads.pointer
        let src = scratch + (mine.lowerBound - bucket.lowerBound), dst = shard.pointer + sharded.packedOffsets[b]
        let reduce = transport.reduction(of: 0 ..< bucket.count, in: scratch, offset: bucket.lowerBound)
        tickets.set(b, queue.async {
            try reduce()
            if accumulate { axpy(1, src, dst, count: mine.count) } else { dst.update(from: src, count: mine.count) }
        })
        occupying = b
    }

    func waitForBucket(_ b: Int) { tickets.wait(b, on: queue) }

    func finishStep() throws {
        tickets.clear()
        occupying = nil
        try queue.drain()
    }

    func gradients(group b: Int) -> UnsafePointer<Float> {
        UnsafePointer(shard.pointer + sharded.packedOffsets[b] - sharded.owned[b].lowerBound)
    }
}
