// Implements: the Layer protocol every layer follows.
// A layer declares its parameters, binds views into the ParameterStore, and runs forward, then
// backward in two parts on a batch: the input gradient, then the parameter gradients. The model
// (Sequential) calls them in that order and reports between them that the layer is about to write
// its parameter gradients, so a layer never knows who listens. Activations and input gradients
// live in buffers the layer owns, sized for the largest batch seen; a smaller batch uses the
// leading rows. Parameter gradients are written (accumulate = false) or added (accumulate = true,
// for gradient accumulation), so no separate zeroing pass runs before a step.
import Tensor

/// One layer of a Sequential: parameters, forward, and backward in two parts.
public protocol Layer: AnyObject {
    /// Adds this layer's parameter tensors to `layout`.
    func declare(into layout: inout ParameterLayout, prefix: String)
    /// Takes views of its parameters and gradients from `store`.
    func bind(to store: ParameterStore)
    /// Writes initial parameter values (PyTorch's defaults, from `rng`).
    func initialize(rng: inout RNG)
    /// Per-sample output shape for a per-sample input shape.
    func outputShape(for input: [Int]) -> [Int]
    /// y = f(x). x: (B, input…); the result stays valid until the next forward.
    func forward(_ x: Tensor) -> Tensor
    /// Given dL/dy for the last forward, returns dL/dx (nil when `needed` is false, which skips
    /// that work for the first layer) and keeps what `parameterGradients` needs (dy may be changed
    /// in place, e.g. masked by a fused ReLU). Writes no parameter gradient.
    func inputGradient(_ dy: Tensor, needed: Bool) -> Tensor?
    /// Writes (or, with `accumulate`, adds) dL/dθ for the dy of the last `inputGradient`.
    func parameterGradients(accumulate: Bool)
    /// True when backward may run `inputGradient(dy, needed: false)`, `parameterGradients`, then
    /// `inputGradient(dy, needed: true)` on the same dy, and get what one call each gives (what
    /// the first call does to dy is idempotent). Default false.
    var parameterGradientsFirst: Bool { get }
    /// Where this layer can write its parameter gradients in pieces: ascending offsets into its
    /// own parameters (0 and the end excluded), pieces of at most about `maxElements`. Default
    /// none: one piece.
    func gradientCuts(maxElements: Int) -> [Int]
    /// `parameterGradients(accumulate:)` in the pieces `cuts` makes, the last piece (highest
    /// offsets) first, calling `pieceDone(k)` as soon as the k-th piece written is final, so its
    /// reduction can start while the layer computes the rest.
    func parameterGradients(accumulate: Bool, cuts: [Int], pieceDone: (Int) -> Void)
}

/// `backward`, and do-nothing defaults for layers without parameters.
public extension Layer {
    /// Both parts of backward: dL/dx (if `needInputGrad`), then dL/dθ.
    func backward(_ dy: Tensor, accumulate: Bool, needInputGrad: Bool) -> Tensor? {
        let dx = inputGradient(dy, needed: needInputGrad)
        parameterGradients(accumulate: accumulate)
        return dx
    }
    /// No parameters: nothing to write.
    func parameterGradients(accumulate: Bool) {}
    /// dL/dx, then dL/dθ, unless the layer says otherwise.
    var parameterGradientsFirst: Bool { false }
    /// One piece.
    func gradientCuts(maxElements: Int) -> [Int] { [] }
    /// All pieces at once, then each reported.
    func parameterGradients(accumulate: Bool, cuts: [Int], pieceDone: (Int) -> Void) {
        parameterGradients(accumulate: accumulate)
        for k in 0 ... cuts.count { pieceDone(k) }
    }
    /// No parameters: nothing to declare.
    func declare(into layout: inout ParameterLayout, prefix: String) {}
    /// No parameters: nothing to bind.
    func bind(to store: ParameterStore) {}
    /// No parameters: nothing to initialise.
    func initialize(rng: inout RNG) {}
}

/// A per-layer activation buffer that grows to the largest batch seen and hands out views.
struct Workspace {
    private var buffer = FloatBuffer(count: 0)

    /// A (rows, shape…) view, reallocating only when larger than ever before.
    mutating func view(rows: Int, _ perRow: [Int]) -> Tensor {
        let n = rows * perRow.reduce(1, *)
        if buffer.count < n { buffer = FloatBuffer(count: n) }
        return Tensor(base: buffer, shape: [rows] + perRow)
    }
}
