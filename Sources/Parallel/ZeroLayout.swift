// Implements: ZeroLayout, which elements of the flat buffer each rank owns under ZeRO.
// Ownership follows the gradient buckets: within every bucket, rank r owns chunk r of
// ShardLayout(bucket size, N). A bucket's reduce-scatter then leaves each rank exactly its own
// elements, so ZeRO-1/2 reduce bucket by bucket during backward, as plain data-parallel does.
// A rank's shard is therefore one contiguous range per bucket (Σ ≈ Ψ/N), not one range of the
// whole buffer; checkpoints record these ranges, and resharding re-cuts through the flat layout.
import Collectives

/// Which elements of the flat buffer each rank owns under ZeRO: chunk r of every bucket.
public struct ZeroLayout: Equatable, Sendable {
    /// The gradient buckets ownership follows.
    public let plan: BucketPlan
    /// Number of ranks N.
    public let ranks: Int

    /// Ownership of `plan`'s buckets over `ranks` ranks.
    public init(plan: BucketPlan, ranks: Int) {
        self.plan = plan
        self.ranks = ranks
    }

    /// Rank r's element ranges of the flat buffer, one per bucket in bucket order (some may be empty).
    public func owned(by r: Int) -> [Range<Int>] {
        plan.buckets.map { b in
            let c = ShardLayout.chunk(r, count: b.range.count, ranks: ranks)
            return (b.range.lowerBound + c.lowerBound) ..< (b.range.lowerBound + c.upperBound)
        }
    }

    /// Elements rank r owns in all.
    public func ownedCount(by r: Int) -> Int { owned(by: r).reduce(0) { $0 + $1.count } }
}
