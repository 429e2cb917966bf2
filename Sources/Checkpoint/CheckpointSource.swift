// Implements: what a Checkpointer reads and restores on one rank, as two small protocols:
// OptimizerState (the rank's optimizer state, by ranges of the flat parameter buffer) and
// CheckpointSource (the model's parameters, which ranges each rank writes, whether this rank
// writes restored parameters, and the rank group's exact sums for the commit). DataParallel and
// ShardedOptimizer provide them.
import NN
import Parallel

/// Optimizer state held by ranges of the flat parameter buffer.
public protocol OptimizerState: AnyObject {
    /// State buffers per element (Adam: m and v).
    var bufferCount: Int { get }
    /// Steps taken; setting it sets every range's.
    var steps: Int { get set }
    /// The learning rate, recorded in the manifest.
    var learningRate: Float { get }
    /// Copies state buffer j over the flat-buffer `range` (held by this rank) to `dst`.
    func copyState(_ j: Int, range: Range<Int>, into dst: UnsafeMutablePointer<Float>)
    /// Sets state buffer j of every range this rank holds from `all`, indexed like the flat buffer.
    func loadState(_ j: Int, from all: UnsafePointer<Float>)
}

/// One rank's training state as checkpoints see it.
public protocol CheckpointSource: AnyObject {
    /// The model whose parameters are written and restored.
    var model: any Model { get }
    /// This rank, `0 ..< size`.
    var rank: Int { get }
    /// Number of ranks (the manifest's world size).
    var size: Int { get }
    /// ZeRO stage (recorded in the manifest).
    var stage: Int { get }
    /// This rank's optimizer state.
    var optimizerState: OptimizerState { get }
    /// The ranges of the flat buffer rank r writes: each rank a distinct part, together all of it.
    func checkpointRanges(of r: Int) -> [Range<Int>]
    /// Whether this rank writes restored parameters (then every rank calls `parametersWritten()`).
    var writesParameters: Bool { get }
    /// Element-wise exact sums over ranks; also a barrier.
    func sumOverRanks(_ values: [Int64]) throws -> [Int64]
}

extension ShardedOptimizer: OptimizerState {}

extension DataParallel: CheckpointSource {
    /// The sharded optimizer: this rank's optimizer state.
    public var optimizerState: OptimizerState { sharded }
}
