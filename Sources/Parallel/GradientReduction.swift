// Implements: the two protocols of gradient reduction in data-parallel training.
//   GradientReduction: what a ZeRO stage does with a bucket's gradients during backward and
//     where the optimizer then reads them. InPlaceReduction (stages 0–1: each bucket is reduced
//     where the layers wrote it), ShardedGradients (stage 2: one bucket-sized buffer, each
//     bucket's own chunk moved out to a packed shard), LocalGradients (one rank: nothing).
//   ReductionTransport: how the ranks reduce one range of their gradient buffers (mean over
//     ranks). RingAllReduce, RingReduceScatter (MPI messages, or the shared-memory ring on one
//     node), PeerBufferReduction (node-shared regions read in place).
// DataParallel chooses one of each once, at start, in ReductionChoice.swift, the only place that
// looks at the stage or the topology. A new transport or stage is a new conforming file plus one
// case there.

/// A ZeRO stage's handling of gradient buckets. Called on the compute thread, in this order per
/// micro-batch: `beforeWrite(b)` and `bucketReady(b, …)` for each bucket as backward reaches it;
/// per step: `waitForBucket(b)` before group b is stepped, then `finishStep()`.
public protocol GradientReduction: AnyObject {
    /// How the ranks reduce a range (swapped once, when node-shared buffers turn out to exist).
    var transport: ReductionTransport? { get set }
    /// True when every micro-batch is reduced and accumulated after reduction (then the model
    /// writes, never adds, its gradients); false when only the step's last micro-batch is.
    var reducesEveryMicroBatch: Bool { get }
    /// Right before a unit of bucket `b` first writes gradients in a micro-batch.
    func beforeWrite(_ b: Int)
    /// Bucket b's gradients of this micro-batch are final. `last`: the step's last micro-batch;
    /// `accumulate`: an earlier micro-batch of this step produced gradients too.
    func bucketReady(_ b: Int, last: Bool, accumulate: Bool)
    /// Waits until bucket b's reduction of this step, if one was queued, is done.
    func waitForBucket(_ b: Int)
    /// Waits for every queued reduction; rethrows the first error (also one kept by `beforeWrite`).
    func finishStep() throws
    /// The reduced gradients of optimizer group (bucket) b, indexed like the flat buffer.
    func gradients(group b: Int) -> UnsafePointer<Float>
    /// Bytes of gradient buffers held beyond the model's own (memory accounting).
    var extraGradientBytes: Int { get }
}

/// A way for the ranks to reduce elements of their gradient buffers. Called on the compute thread;
/// the work it returns runs on the comm thread, in the order the calls were made.
public protocol ReductionTransport: AnyObject {
    /// The work that reduces elements `range` of this rank's buffer `base` (mean over ranks):
    /// afterwards this rank's ShardLayout chunk of `range` holds the result, or all of `range`
    /// for a transport that gathers (stage 0). `offset`: where `range` starts in the model's
    /// flat gradient order (`range.lowerBound` in place; a bucket's start when a scratch buffer
    /// holds it, stage 2), so that per-element state (an error-feedback residual) has one home.
    func reduction(of range: Range<Int>, in base: UnsafeMutablePointer<Float>, offset: Int) -> () throws -> Void
    /// Before the compute thread writes `range` of its buffer again: waits until every peer has
    /// read what the last queued reduction of that range needed (message transports: nothing).
    func waitUntilRead(_ range: Range<Int>) throws
}

/// One rank: the gradients are already the mean; nothing to do.
final class LocalGradients: GradientReduction {
    private let flat: () -> UnsafeMutablePointer<Float>
    init(flat: @escaping () -> UnsafeMutablePointer<Float>) { self.flat = flat }
    var transport: ReductionTransport?
    var reducesEveryMicroBatch: Bool { false }
    func beforeWrite(_ b: Int) {}
    func bucketReady(_ b: Int, last: Bool, accumulate: Bool) {}
    func waitForBucket(_ b: Int) {}
    func finishStep() throws {}
    func gradients(group b: Int) -> UnsafePointer<Float> { UnsafePointer(flat()) }
    var extraGradientBytes: Int { 0 }
}
