// Implements: ShardLayout, the one function that splits `count` elements over `n` ranks.
// Ring collectives, ZeRO shards and checkpoint resharding all call it, so they can never
// disagree about which rank owns which element.

/// How a flat buffer of `count` elements is split into one contiguous chunk per rank.
///
/// Chunk `r` of `count` elements over `ranks` ranks: the first `count % ranks` chunks are one
/// element longer than the rest. Any `count` works, including 0 and counts below `ranks`
/// (the trailing chunks are then empty).
public struct ShardLayout: Equatable, Sendable {
    /// Number of elements in the whole buffer.
    public let count: Int
    /// Number of ranks (chunks).
    public let ranks: Int

    /// Creates the layout of `count` elements over `ranks` ranks.
    ///
    /// - Parameters:
    ///   - count: Elements in the flat buffer, at least 0.
    ///   - ranks: Ranks sharing it, at least 1.
    public init(count: Int, ranks: Int) {
        precondition(count >= 0 && ranks >= 1, "ShardLayout(count: \(count), ranks: \(ranks))")
        self.count = count
        self.ranks = ranks
    }

    /// The element range rank `r` owns.
    ///
    /// - Parameter r: A rank in `0 ..< ranks`.
    /// - Returns: `r * base + min(r, extra) ..<` that plus `base + (r < extra ? 1 : 0)`,
    ///   where `base = count / ranks` and `extra = count % ranks`.
    public func range(of r: Int) -> Range<Int> {
        ShardLayout.chunk(r, count: count, ranks: ranks)
    }

    /// Rank `r`'s chunk of `count` elements split over `n` ranks; the first `count % n` are one longer.
    ///
    /// - Parameters:
    ///   - r: A rank in `0 ..< n`.
    ///   - count: Elements in the flat buffer.
    ///   - n: Number of ranks.
    /// - Returns: The half-open element range of chunk `r`.
    public static func chunk(_ r: Int, count: Int, ranks n: Int) -> Range<Int> {
        precondition(n >= 1 && r >= 0 && r < n, "ShardLayout.chunk(\(r), count: \(count), ranks: \(n))")
        let base = count / n, extra = count % n, start = r * base + Swift.min(r, extra)
        return start ..< start + base + (r < extra ? 1 : 0)
    }
}
