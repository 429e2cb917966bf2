// Implements: ShardedGradients, ZeRO stage 2: the layers write their gradients into a scratch
// buffer of one or two bucket-sized slots (every bucket's tensors at their offsets within their
// bucket, bucket b in slot b % 2); right after a bucket's reduce-scatter the comm thread moves
// this rank's chunk out to its gradient shard (= on the step's first micro-batch, += after), and
// a unit waits for that before it writes into the same slot again. Every micro-batch is reduced,
// and accumulated in the shard. The shard packs the rank's owned ranges in bucket order
// (ShardedOptimizer.packedOffsets).
// Two slots let backward fill bucket b + 1 while bucket b is reduced (DeepSpeed's overlap_comm
// doubles its bucket buffer the same way); with one, backward stops at every bucket boundary until
// the previous bucket has been reduced and moved out. Two are used only where they take less than
// the whole gradient (W, two buckets, keeps one) and fit the memory limit (ReductionChoice.stageTwoSlots).
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
    /// Where bucket b's slot starts in the scratch buffer.
    private let slotStart: [Int]
    /// The bucket last queued in each slot (by its start), while it may still occupy the slot.
    private var occupant: [Int: Int] = [:]

    /// The scratch buffer's elements with `slots` (1 or 2) slots: the largest bucket, or the
    /// largest even-numbered one plus the largest odd-numbered one.
    static func scratchCount(plan: BucketPlan, slots: Int) -> Int {
        let sizes = plan.buckets.map(\.range.count)
        guard slots == 2 else { return sizes.max() ?? 0 }
        let even = sizes.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).max() ?? 0
        return even + (sizes.enumerated().filter { $0.offset % 2 == 1 }.map(\.element).max() ?? 0)
    }

    /// Moves the model's gradients into the scratch buffer of `slots` (1 or 2) slots.
    init(model: any Model, plan: BucketPlan, sharded: ShardedOptimizer, transport: ReductionTransport, queue: ReductionQueue, slots: Int) {
        self.model = model; self.plan = plan; self.sharded = sharded; self.transport = transport; self.queue = queue
        shard = FloatBuffer(count: sharded.packedCount)
        tickets = BucketTickets(buckets: plan.buckets.count)
        let evenMax = plan.buckets.enumerated().filter { $0.offset % 2 == 0 }.map(\.element.range.count).max() ?? 0
        slotStart = plan.buckets.indices.map { slots == 2 && $0 % 2 == 1 ? evenMax : 0 }
        let offsets = model.store.layout.entries.map { e -> Int in
            let b = plan.buckets.firstIndex { $0.range.contains(e.offset) }!
            return slotStart[b] + e.offset - plan.buckets[b].range.lowerBound
        }
        model.placeGradients(offsets: offsets, count: Self.scratchCount(plan: plan, slots: slots))
    }

    var reducesEveryMicroBatch: Bool { true }
    var extraGradientBytes: Int { shard.count * 4 }

    /// The slot is free once the bucket queued in it before has been moved out and every peer has read it.
    func beforeWrite(_ b: Int) {
        let start = slotStart[b]
        if let previous = occupant.removeValue(forKey: start), let ticket = tickets.pending(previous) { queue.wait(for: ticket) }
        guard let transport else { return }
        queue.keep { try transport.waitUntilRead(start ..< start + plan.buckets[b].range.count) }
    }

    func bucketReady(_ b: Int, last: Bool, accumulate: Bool) {
        guard let transport else { return }
        let bucket = plan.buckets[b].range, mine = sharded.owned[b], start = slotStart[b], scratch = model.store.grads.pointer
        let src = scratch + start + (mine.lowerBound - bucket.lowerBound), dst = shard.pointer + sharded.packedOffsets[b]
        let reduce = transport.reduction(of: start ..< start + bucket.count, in: scratch, offset: bucket.lowerBound)
        tickets.set(b, queue.async {
            try reduce()
            if accumulate { axpy(1, src, dst, count: mine.count) } else { dst.update(from: src, count: mine.count) }
        })
        occupant[start] = b
    }

    func waitForBucket(_ b: Int) { tickets.wait(b, on: queue) }

    func finishStep() throws {
        tickets.clear()
        occupant.removeAll()
        try queue.drain()
    }

    func gradients(group b: Int) -> UnsafePointer<Float> {
        UnsafePointer(shard.pointer + sharded.packedOffsets[b] - sharded.owned[b].lowerBound)
    }
}
