// Implements: BucketPlan, the grouping of a model's flat gradient buffer into buckets for
// overlapped reduction (DDP's gradient buckets). Buckets are formed in reverse layer order —
// the order backward produces gradients — from consecutive layers until a bucket holds at least
// `bucketBytes`; a layer is never split. Bucket k is ready when its lowest layer has finished
// backward, because every higher layer in it finished before.

/// The gradient buckets of a model's flat buffer, in the order backward makes them ready.
public struct BucketPlan: Equatable, Sendable {
    /// One bucket: whole consecutive layers, reduced as one.
    public struct Bucket: Equatable, Sendable {
        /// Elements of the flat buffer.
        public let range: Range<Int>
        /// The layer whose completion makes this bucket ready.
        public let triggerLayer: Int
    }

    /// In the order they become ready (last layers first).
    public let buckets: [Bucket]

    /// - Parameters:
    ///   - layerRanges: Each layer's range of the flat buffer (empty for layers without parameters),
    ///     contiguous and increasing with the layer index, as `Sequential.layerRanges` gives them.
    ///   - bucketBytes: Target size; at least one layer per bucket.
    public init(layerRanges: [Range<Int>], bucketBytes: Int) {
        var buckets: [Bucket] = []
        var hi: Int?, lo = 0, trigger = 0
        for i in stride(from: layerRanges.count - 1, through: 0, by: -1) where !layerRanges[i].isEmpty {
            if hi == nil { hi = layerRanges[i].upperBound }
            lo = layerRanges[i].lowerBound
            trigger = i
            if (hi! - lo) * 4 >= bucketBytes {
                buckets.append(Bucket(range: lo ..< hi!, triggerLayer: trigger))
                hi = nil
            }
        }
        if let h = hi { buckets.append(Bucket(range: lo ..< h, triggerLayer: trigger)) }
        self.buckets = buckets
    }

    /// Indices of the buckets that layer `i`'s completion makes ready.
    public func ready(afterLayer i: Int) -> [Int] {
        buckets.indices.filter { buckets[$0].triggerLayer == i }
    }
}
