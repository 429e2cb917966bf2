// Implements: BucketPlan, the grouping of a model's flat gradient buffer into buckets for
// overlapped reduction (DDP's gradient buckets). Buckets are formed in reverse layer order —
// the order backward produces gradients — from consecutive pieces until a bucket holds at least
// `bucketBytes`. A piece is a whole layer unless `cuts` lets that layer's gradients be written
// in parts (a Linear's weight rows, across nodes): then a bucket may end inside the layer, and
// the link starts on the layer's first rows while backward computes the rest. Within a layer
// backward writes the last piece (highest offsets) first. Bucket k is ready when its lowest
// piece is final, because every higher piece in it was final before.

/// The gradient buckets of a model's flat buffer, in the order backward makes them ready.
public struct BucketPlan: Equatable, Sendable {
    /// One bucket: consecutive pieces, reduced as one.
    public struct Bucket: Equatable, Sendable {
        /// Elements of the flat buffer.
        public let range: Range<Int>
        /// The layer whose piece `triggerPiece` (0: its highest) makes this bucket ready.
        public let triggerLayer: Int, triggerPiece: Int

        public init(range: Range<Int>, triggerLayer: Int, triggerPiece: Int = 0) {
            self.range = range; self.triggerLayer = triggerLayer; self.triggerPiece = triggerPiece
        }
    }

    /// In the order they become ready (last layers first).
    public let buckets: [Bucket]
    /// For each layer, the indices of the buckets its elements fall in.
    public let bucketsOfLayer: [[Int]]

    /// - Parameters:
    ///   - layerRanges: Each layer's range of the flat buffer (empty for layers without parameters),
    ///     contiguous and increasing with the layer index, as `Sequential.layerRanges` gives them.
    ///   - bucketBytes: Target size; at least one piece per bucket.
    ///   - cuts: Per layer, ascending flat offsets inside its range where a bucket may end
    ///     (`Model.gradientCuts`); empty or missing: whole layers.
    public init(layerRanges: [Range<Int>], bucketBytes: Int, cuts: [[Int]] = []) {
        var buckets: [Bucket] = []
        var hi: Int?, lo = 0, trigger = (0, 0)
        for i in stride(from: layerRanges.count - 1, through: 0, by: -1) where !layerRanges[i].isEmpty {
            let inner = i < cuts.count ? cuts[i] : []
            let bounds = [layerRanges[i].lowerBound] + inner + [layerRanges[i].upperBound]
            for k in 0 ..< bounds.count - 1 {
                if hi == nil { hi = bounds[bounds.count - 1 - k] }
                lo = bounds[bounds.count - 2 - k]
                trigger = (i, k)
                if (hi! - lo) * 4 >= bucketBytes {
                    buckets.append(Bucket(range: lo ..< hi!, triggerLayer: trigger.0, triggerPiece: trigger.1))
                    hi = nil
                }
            }
        }
        if let h = hi { buckets.append(Bucket(range: lo ..< h, triggerLayer: trigger.0, triggerPiece: trigger.1)) }
        self.buckets = buckets
        bucketsOfLayer = layerRanges.map { lr in
            buckets.indices.filter { lr.overlaps(buckets[$0].range) }
        }
    }

    /// Indices of the buckets that layer `i`'s completion makes ready.
    public func ready(afterLayer i: Int) -> [Int] {
        buckets.indices.filter { buckets[$0].triggerLayer == i }
    }

    /// Indices of the buckets that piece `k` of layer `i` (0: written first) makes ready.
    public func ready(afterLayer i: Int, piece k: Int) -> [Int] {
        buckets.indices.filter { buckets[$0].triggerLayer == i && buckets[$0].triggerPiece == k }
    }
}
