// Implements: DistributedSampler, the order in which a rank visits a data set.
// Each epoch is a permutation of 0..<N drawn from (seed, epoch) alone, so every rank computes the
// same one without talking; rank r of W takes positions r, r+W, r+2W, …  With `dropLast` the
// epoch is cut to a multiple of W·batch so every rank takes the same number of full batches;
// without it the tail is padded by wrapping around to the start of the permutation.
import Tensor

/// The order in which one rank visits a data set, epoch by epoch; the same on every rank.
public struct DistributedSampler: Sendable {
    /// Samples N, this rank of `ranks`, seed, shuffling, tail handling and the per-rank batch.
    public let count: Int, rank: Int, ranks: Int, seed: UInt64, shuffle: Bool, dropLast: Bool, batch: Int

    /// - Parameters: batch is per rank; the global batch is batch·ranks.
    public init(count: Int, rank: Int = 0, ranks: Int = 1, batch: Int, seed: UInt64, shuffle: Bool = true, dropLast: Bool = false) {
        precondition(ranks > 0 && rank >= 0 && rank < ranks && batch > 0, "sampler rank \(rank)/\(ranks) batch \(batch)")
        self.count = count
        self.rank = rank
        self.ranks = ranks
        self.seed = seed
        self.shuffle = shuffle
        self.dropLast = dropLast
        self.batch = batch
    }

    /// Steps (batches per rank) in one epoch; the same on every rank.
    public var stepsPerEpoch: Int {
        let global = batch * ranks
        return dropLast ? count / global : (count + global - 1) / global
    }

    /// The epoch's permutation of 0..<count.
    public func permutation(epoch: Int) -> [Int] {
        guard shuffle else { return Array(0..<count) }
        var rng = RNG(seed: seed).split(UInt64(epoch) &+ 0x5EED)
        return rng.permutation(count)
    }

    /// Indices of this rank's batch `step` (0-based) in `epoch`, given the epoch's permutation.
    /// Without dropLast the final global batch is completed by wrapping to the permutation's start,
    /// so every rank's batches have exactly `batch` samples.
    public func batchIndices(step: Int, permutation: [Int]) -> [Int] {
        let global = batch * ranks, start = step * global
        return (0..<batch).map { i in permutation[(start + i * ranks + rank) % count] }
    }
}
