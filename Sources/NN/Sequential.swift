// Implements: Sequential, a model as a list of layers over one ParameterStore.
// Backward runs last layer first and reports each layer as soon as its gradients are final, so
// data-parallel code can start reducing a bucket while earlier layers still compute.
import Foundation
import Tensor

/// A model as a list of layers applied in order, over one ParameterStore.
public final class Sequential: Model {
    /// The layers, first to last.
    public let layers: [Layer]
    /// All parameters and gradients, in one flat buffer each.
    public let store: ParameterStore
    /// Per-sample input shape, e.g. [1, 28, 28] or [784].
    public let inputShape: [Int]
    /// For each layer, the range of the flat buffer its parameters occupy (empty if none).
    public let layerRanges: [Range<Int>]
    /// The lowest layer with parameters; backward stops computing input gradients there.
    public let firstParameterLayer: Int
    /// Whether backward lets layers write parameter gradients before dL/dx (`Layer.parameterGradientsFirst`);
    /// `COHORT_GRADIENTS_FIRST=0` keeps dL/dx first everywhere, for A/B timing (the bits are the same).
    public var parameterGradientsFirst = ProcessInfo.processInfo.environment["COHORT_GRADIENTS_FIRST"] != "0"

    /// Declares every layer's parameters, allocates the store and binds the views.
    /// Parameters are zero until `initialize(seed:)`.
    public init(_ layers: [Layer], inputShape: [Int]) {
        var layout = ParameterLayout()
        var ranges: [Range<Int>] = []
        for (i, layer) in layers.enumerated() {
            let start = layout.count
            layer.declare(into: &layout, prefix: "\(i).")
            ranges.append(start ..< layout.count)
        }
        self.layers = layers
        self.inputShape = inputShape
        self.layerRanges = ranges
        firstParameterLayer = ranges.firstIndex { !$0.isEmpty } ?? layers.count
        store = ParameterStore(layout: layout)
        for layer in layers { layer.bind(to: store) }
    }

    /// The same, in `buffer`.
    public func placeGradients(offsets: [Int], in buffer: FloatBuffer) {
        store.placeGradients(offsets: offsets, in: buffer)
        for layer in layers { layer.bind(to: store) }
    }

    /// Moves the parameters to `buffer` (its contents become the parameters) and rebinds the layers.
    public func placeParameters(_ buffer: FloatBuffer) {
        store.placeParameters(buffer)
        for layer in layers { layer.bind(to: store) }
    }

    /// Per-sample output shape.
    public var outputShape: [Int] { layers.reduce(inputShape) { $1.outputShape(for: $0) } }

    /// Sets every parameter from `seed`; layer i draws from the stream split by i.
    public func initialize(seed: UInt64) {
        let root = RNG(seed: seed)
        for (i, layer) in layers.enumerated() {
            var rng = root.split(UInt64(i))
            layer.initialize(rng: &rng)
        }
    }

    /// Logits for x (B, input…).
    public func forward(_ x: Tensor) -> Tensor { forward(x, beforeUnit: { _ in }) }

    /// Logits for x, calling `beforeUnit(i)` right before layer i's forward.
    public func forward(_ x: Tensor, beforeUnit: (Int) -> Void) -> Tensor {
        var h = x
        for (i, layer) in layers.enumerated() { beforeUnit(i); h = layer.forward(h) }
        return h
    }

    /// Each layer's own cuts (`Layer.gradientCuts`), as flat-buffer offsets.
    public func gradientCuts(maxElements: Int) -> [[Int]] {
        layers.indices.map { i in layerRanges[i].isEmpty ? [] : layers[i].gradientCuts(maxElements: maxElements).map { $0 + layerRanges[i].lowerBound } }
    }

    /// Backpropagates dlogits; calls `layerDone(i)` right after layer i's gradients are final and,
    /// if given, `beforeGrads(i)` right before layer i first writes a parameter gradient.
    public func backward(_ dlogits: Tensor, accumulate: Bool, beforeGrads: ((Int) -> Void)?, layerDone: ((Int) -> Void)?) {
        backward(dlogits, accumulate: accumulate, cuts: nil, beforeGrads: beforeGrads, pieceDone: nil, layerDone: layerDone)
    }

    /// The same, with layer i's parameter gradients written in the pieces `cuts[i]` makes
    /// (flat-buffer offsets from `gradientCuts`) and `pieceDone(i, k)` called as each is final.
    public func backward(_ dlogits: Tensor, accumulate: Bool, cuts: [[Int]], beforeGrads: ((Int) -> Void)?,
                         pieceDone: @escaping (Int, Int) -> Void, layerDone: ((Int) -> Void)?) {
        backward(dlogits, accumulate: accumulate, cuts: Optional(cuts), beforeGrads: beforeGrads, pieceDone: pieceDone, layerDone: layerDone)
    }

    private func backward(_ dlogits: Tensor, accumulate: Bool, cuts: [[Int]]?, beforeGrads: ((Int) -> Void)?,
                          pieceDone: ((Int, Int) -> Void)?, layerDone: ((Int) -> Void)?) {
        var d = dlogits
        for i in stride(from: layers.count - 1, through: 0, by: -1) {
            // No layer below the first one with parameters needs a gradient (MLP: Flatten, then
            // Linear — its dx would be 2·B·784·1024 FLOPs thrown away, 13% of a step of W).
            let needed = i > firstParameterLayer, early = parameterGradientsFirst && layers[i].parameterGradientsFirst && needed
            // Parameter gradients first where the layer allows it: their reduction then starts
            // one matrix product sooner, while dL/dx is computed (W: 8 ms of a 1024² layer).
            var next = layers[i].inputGradient(d, needed: needed && !early)
            if !layerRanges[i].isEmpty {
                beforeGrads?(i)
                if let cuts, let pieceDone {
                    let start = layerRanges[i].lowerBound
                    layers[i].parameterGradients(accumulate: accumulate, cuts: cuts[i].map { $0 - start }) { pieceDone(i, $0) }
                } else {
                    layers[i].parameterGradients(accumulate: accumulate)
                }
            }
            layerDone?(i)
            if early { next = layers[i].inputGradient(d, needed: true) }
            if let next { d = next }
        }
    }
}
