// Implements: the Communicator protocol (point-to-point and collective operations of one rank
// in a fixed group) and ReduceOp. MPICommunicator is the implementation. Memory shared by the
// ranks of one node is NodeMemory's, not the communicator's.

/// How a reduction combines the ranks' values.
public enum ReduceOp: Int64, Sendable, CustomStringConvertible {
    /// Element-wise sum over ranks.
    case sum = 1
    /// Element-wise sum over ranks divided by the number of ranks.
    case mean = 2

    /// "sum" or "mean".
    public var description: String { self == .sum ? "sum" : "mean" }
}

/// One rank's view of a fixed group of `size` processes.
///
/// All buffers are pointer views (`UnsafeMutableBufferPointer<Float>`), so callers pass
/// sub-ranges of one big flat gradient or parameter buffer without copies. Every collective
/// must be called by all ranks in the same order with the same length; with one rank every
/// collective returns at once. A thrown error leaves the communicator unusable.
public protocol Communicator: AnyObject {
    /// This process's rank, `0 ..< size`.
    var rank: Int { get }
    /// Number of ranks in the group.
    var size: Int { get }

    /// Sends `buffer` to rank `peer` and returns once it may be reused.
    func send(_ buffer: UnsafeBufferPointer<Float>, to peer: Int, tag: Int) throws
    /// Receives exactly `buffer.count` floats from rank `peer` into `buffer`.
    func recv(_ buffer: UnsafeMutableBufferPointer<Float>, from peer: Int, tag: Int) throws
    /// Sends `send` to `destination` while receiving `receive` from `source` (no deadlock in a ring).
    func sendRecv(_ send: UnsafeBufferPointer<Float>, to destination: Int,
                  _ receive: UnsafeMutableBufferPointer<Float>, from source: Int, tag: Int) throws
    /// Returns once every rank has entered the barrier.
    func barrier() throws

    /// Reduces `buffer` over all ranks; afterwards this rank's `ShardLayout` range holds the result.
    func reduceScatter(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws
    /// Fills all of `buffer` from every rank's `ShardLayout` range of it.
    func allGather(_ buffer: UnsafeMutableBufferPointer<Float>) throws
    /// Reduces `buffer` over all ranks in place; all ranks end with bitwise identical values.
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp) throws
    /// `allReduce` with `format` on the links between nodes and this rank's error feedback in
    /// `residual` (one float per element, zero at first, kept by the caller between calls); on
    /// one node, or with fp32, the same as `allReduce(_:op:)`.
    func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, format: WireFormat,
                   residual: UnsafeMutablePointer<Float>?) throws
    /// `reduceScatter` with `format` between nodes and error feedback, as the allReduce above.
    func reduceScatter(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, format: WireFormat,
                       residual: UnsafeMutablePointer<Float>?) throws
    /// Copies rank `root`'s `buffer` into every rank's `buffer`.
    func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws
    /// Gathers every rank's `mine` (the same byte count on every rank) into `all`, rank r's bytes
    /// at `r * mine.count`: the typed collective for integers, hashes, sizes and CRCs, which must
    /// not travel as floats. Small messages only (it is one exchange with every peer).
    func allGather(bytes mine: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) throws
    /// Checks, timeout, slice sizes and switches; the same on every rank.
    var settings: CollectiveSettings { get }
    /// Whether every rank runs on this node and the collectives use shared memory (then
    /// `NodeMemory` may map memory all ranks share).
    var usesSharedMemory: Bool { get }
}
