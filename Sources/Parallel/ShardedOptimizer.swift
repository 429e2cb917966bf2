// Implements: ShardedOptimizer, the update of the elements one rank steps: its owned ranges of the
// flat buffer (one per bucket under ZeRO, from ZeroLayout; every bucket at stage 0; the whole
// buffer alone), each cut at tensor boundaries where weight decay switches on or off, one
// optimizer (and its state) per piece; where each owned range sits in a packed gradient shard
// (ZeRO-2); and the sum of squares of its reduced gradients (global-norm clipping).
import NN
import Tensor

/// The optimizers of the elements one rank steps, one or more per owned range.
public final class ShardedOptimizer {
    /// The owned ranges, one per group (bucket), in bucket order; some may be empty.
    public let owned: [Range<Int>]
    /// Where owned range b starts in a packed shard of all owned gradients, and its total length.
    public let packedOffsets: [Int]
    /// Total length of the packed shard: the sum of the owned ranges' counts.
    public let packedCount: Int
    /// Every optimizer with its range, in element order within each group.
    public let optimizers: [(range: Range<Int>, optimizer: Optimizer)]
    /// Indices into `optimizers` of each group's pieces.
    private let groups: [[Int]]

    /// - Parameters:
    ///   - owned: The ranges this rank steps, one per group.
    ///   - layout: The model's tensors (the cuts between decayed and undecayed pieces).
    ///   - noDecay: Tensors whose weight decay is 0.
    public init(owned: [Range<Int>], layout: ParameterLayout, kind: OptimizerKind, learningRate: Float,
                noDecay: (ParameterLayout.Entry) -> Bool) {
        self.owned = owned
        var offsets: [Int] = [], acc = 0
        for o in owned { offsets.append(acc); acc += o.count }
        packedOffsets = offsets
        packedCount = acc
        var opts: [(range: Range<Int>, optimizer: Optimizer)] = [], groups: [[Int]] = []
        for range in owned {
            var mine: [Int] = []
            for (piece, decays) in Self.pieces(of: range, layout: layout, noDecay: noDecay) {
                mine.append(opts.count)
                opts.append((piece, (decays ? kind : kind.withoutWeightDecay).make(range: piece, learningRate: learningRate)))
            }
            groups.append(mine)
        }
        optimizers = opts
        self.groups = groups
    }

    /// `range` cut where `noDecay` changes between consecutive tensors, with whether each piece decays.
    static func pieces(of range: Range<Int>, layout: ParameterLayout, noDecay: (ParameterLayout.Entry) -> Bool) -> [(Range<Int>, Bool)] {
        var out: [(Range<Int>, Bool)] = []
        for e in layout.entries {
            let lo = max(e.offset, range.lowerBound), hi = min(e.offset + e.count, range.upperBound)
            guard lo < hi else { continue }
            let decays = !noDecay(e)
            if let last = out.last, last.1 == decays, last.0.upperBound == lo {
                out[out.count - 1].0 = last.0.lowerBound ..< hi
            } else {
                out.append((lo ..< hi, decays))
            }
        }
        return out
    }

    /// Steps group b. `grads` addresses element 0 of the flat buffer (for a packed shard: shifted
    /// so that index `owned[b]` lands on it, see `gradientBase`).
    public func step(group b: Int, params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, scale: Float) {
        for k in groups[b] { optimizers[k].optimizer.step(params: params, grads: grads, scale: scale) }
    }

    /// Σ g² over group b's range, in Double.
    public func sumOfSquares(group b: Int, grads: UnsafePointer<Float>) -> Double {
        ShardedOptimizer.sumOfSquares(grads + owned[b].lowerBound, count: owned[b].count)
    }

    /// Where the gradients of group b are read from: `flat` (Ψ-long buffer) or, with a packed
    /// shard, its base shifted so that index `owned[b].lowerBound` is the shard's element `packedOffsets[b]`.
    public func gradientBase(group b: Int, flat: UnsafePointer<Float>?, packed: UnsafePointer<Float>?) -> UnsafePointer<Float> {
        if let packed { return packed + packedOffsets[b] - owned[b].lowerBound }
        return flat!
    }

    /// Number of groups (owned ranges, one per bucket).
    public var groupCount: Int { owned.count }

    // MARK: state, by ranges of the flat buffer (checkpoints)

    /// State buffers per element (Adam: m and v; SGD without momentum: none).
    public var bufferCount: Int { optimizers.first?.optimizer.state.count ?? 0 }
    /// Steps taken (every optimizer has taken the same number); setting it sets all.
    public var steps: Int {
        get { optimizers.first?.optimizer.steps ?? 0 }
        set { for (_, o) in optimizers { o.steps = newValue } }
    }
    /// The first optimizer's learning rate (0 if there is none).
    public var learningRate: Float { optimizers.first?.optimizer.learningRate ?? 0 }

    /// Copies state buffer j over the flat-buffer `range` (covered by this rank's optimizers) to `dst`.
    public func copyState(_ j: Int, range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        for (r, opt) in optimizers {
            let lo = max(r.lowerBound, range.lowerBound), hi = min(r.upperBound, range.upperBound)
            guard lo < hi else { continue }
            (dst + (lo - range.lowerBound)).update(from: opt.state[j].pointer + (lo - r.lowerBound), count: hi - lo)
        }
    }

    /// Sets state buffer j of every optimizer from `all`, indexed like the flat buffer.
    public func loadState(_ j: Int, from all: UnsafePointer<Float>) {
        for (r, opt) in optimizers { opt.state[j].pointer.update(from: all + r.lowerBound, count: r.count) }
    }
    /// Sets every optimizer's learning rate.
    public func setLearningRate(_ lr: Float) { for (_, o) in optimizers { o.learningRate = lr } }
    /// Bytes of optimizer state held.
    public var stateBytes: Int { optimizers.reduce(0) { $0 + $1.optimizer.stateBytes } }

    /// Σ p[i]² for i < count, accumulated in Double, 8 lanes at a time.
    static func sumOfSquares(_ p: UnsafePointer<Float>, count: Int) -> Double {
        var acc = SIMD8<Double>(), i = 0
        let vec = count - count % simdWidth
        while i < vec {
            let v = SIMD8<Double>(loadVector(p + i))
            acc += v * v
            i += simdWidth
        }
        var total = acc.sum()
        while i < count { total += Double(p[i]) * Double(p[i]); i += 1 }
        return total
    }
}
