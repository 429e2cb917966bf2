// Implements: Model, what training asks of a network. Sequential is one; a network with residual
// connections (a transformer) is another. Data parallelism, checkpoints and evaluation see only this.
// A model keeps all parameters in ONE ParameterStore and reports, during backward, each group of
// parameters ("unit": a layer, or a sub-layer of a block) as soon as its gradients are final, so the
// reduction of a bucket can start while earlier units still compute.
import Tensor

/// What training asks of a network: one ParameterStore, forward, and backward by units.
public protocol Model: AnyObject {
    /// The one flat buffer of parameters and the one of gradients.
    var store: ParameterStore { get }
    /// For each backward unit, in forward order, the range of the flat buffer its parameters
    /// occupy (empty if none). Backward finishes units in reverse order of this list.
    var layerRanges: [Range<Int>] { get }
    /// Sets every parameter from `seed`.
    func initialize(seed: UInt64)
    /// Output for x (B, input…); valid until the next forward.
    func forward(_ x: Tensor) -> Tensor
    /// Backpropagates dL/d(output) of the last forward; writes (or, with `accumulate`, adds) every
    /// parameter gradient. Calls `beforeGrads(u)` right before unit u first writes a parameter
    /// gradient and `layerDone(u)` right after unit u's gradients are final.
    func backward(_ dOutput: Tensor, accumulate: Bool, beforeGrads: ((Int) -> Void)?, layerDone: ((Int) -> Void)?)
    /// For each unit, the flat-buffer offsets inside its range where its gradients can be cut
    /// into pieces of about `maxElements` (see `Layer.gradientCuts`); default: no cuts.
    func gradientCuts(maxElements: Int) -> [[Int]]
    /// `backward` with unit u's parameter gradients written in the pieces `cuts[u]` makes (offsets
    /// from `gradientCuts`), calling `pieceDone(u, k)` as the k-th piece written (highest offsets
    /// first) is final, before `layerDone(u)`.
    func backward(_ dOutput: Tensor, accumulate: Bool, cuts: [[Int]], beforeGrads: ((Int) -> Void)?,
                  pieceDone: @escaping (Int, Int) -> Void, layerDone: ((Int) -> Void)?)
    /// `forward`, calling `beforeUnit(u)` right before unit u first reads its parameters.
    func forward(_ x: Tensor, beforeUnit: (Int) -> Void) -> Tensor
    /// Moves every gradient to `buffer` laid out by `offsets` (see ParameterStore) and rebinds.
    func placeGradients(offsets: [Int], in buffer: FloatBuffer)
    /// Moves the parameters to `buffer` (its contents become the parameters) and rebinds.
    func placeParameters(_ buffer: FloatBuffer)
}

/// Conveniences over the Model requirements.
public extension Model {
    /// Parameter count (Ψ).
    var parameterCount: Int { store.layout.count }

    /// Moves every gradient to a new buffer of `count` floats laid out by `offsets`.
    func placeGradients(offsets: [Int], count: Int) {
        placeGradients(offsets: offsets, in: FloatBuffer(count: count))
    }

    /// No cuts: every unit is one piece.
    func gradientCuts(maxElements: Int) -> [[Int]] { layerRanges.map { _ in [] } }

    /// Whole units: each unit's pieces are reported when the unit is done.
    func backward(_ dOutput: Tensor, accumulate: Bool, cuts: [[Int]], beforeGrads: ((Int) -> Void)?,
                  pieceDone: @escaping (Int, Int) -> Void, layerDone: ((Int) -> Void)?) {
        backward(dOutput, accumulate: accumulate, beforeGrads: beforeGrads, layerDone: { u in
            for k in 0 ... cuts[u].count { pieceDone(u, k) }
            layerDone?(u)
        })
    }

    /// Every unit's hook first, then the forward.
    func forward(_ x: Tensor, beforeUnit: (Int) -> Void) -> Tensor {
        for u in layerRanges.indices { beforeUnit(u) }
        return forward(x)
    }

    /// Backpropagates `dOutput` without hooks (nobody listens for units).
    func backward(_ dOutput: Tensor, accumulate: Bool = false) {
        backward(dOutput, accumulate: accumulate, beforeGrads: nil, layerDone: nil)
    }
}
