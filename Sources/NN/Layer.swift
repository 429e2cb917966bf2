// Implements: the Layer protocol every layer follows.
// A layer declares its parameters, binds views into the ParameterStore, and runs forward then
// backward on a batch. Activations and input gradients live in buffers the layer owns, sized for
// the largest batch seen; a smaller batch uses the leading rows. Parameter gradients are written
// (accumulate = false) or added (accumulate = true, for gradient accumulation), so no separate
// zeroing pass runs before a step.
import Tensor

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
    /// Given dL/dy for the last forward, adds or writes dL/dθ and returns dL/dx (nil when
    /// `needInputGrad` is false, which skips that work for the first layer).
    /// When `beforeParamGrads` is given, the layer computes dL/dx first and calls it right before
    /// its first write to a parameter gradient (ZeRO-2 reuses one gradient buffer per bucket and
    /// must know when a layer is about to write into it).
    func backward(_ dy: Tensor, accumulate: Bool, needInputGrad: Bool, beforeParamGrads: (() -> Void)?) -> Tensor?
}

public extension Layer {
    func backward(_ dy: Tensor, accumulate: Bool, needInputGrad: Bool) -> Tensor? {
        backward(dy, accumulate: accumulate, needInputGrad: needInputGrad, beforeParamGrads: nil)
    }
    func declare(into layout: inout ParameterLayout, prefix: String) {}
    func bind(to store: ParameterStore) {}
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
