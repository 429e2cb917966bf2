// Implements: GPT, a byte-level decoder-only transformer (GPT-2's pre-LayerNorm blocks) as an
// NN.Model over ONE ParameterStore:
//   x = wte[tokens] + wpe;  per block: x += proj(attn(ln1(x)));  x += fc2(gelu(fc1(ln2(x))))
//   logits = lnf(x) · wteᵀ  (the head is tied to the token embedding)
// Shapes: B = batch, T = positions (≤ context), C = dim, H = heads, V = vocab, N = B·T.
// Input (B, T) token ids as floats; output logits (N, V).
// Backward units, in forward order (layerRanges): 0 = embeddings (wte, wpe), 1 + 2l = block l's
// attention half (ln1, qkv, proj), 2 + 2l = its MLP half (ln2, fc1, fc2), 2L + 1 = lnf. The tied
// head's share of wte's gradient goes to a private (V, C) buffer and is added when unit 0 runs,
// last: no unit writes a gradient before its own turn (ZeRO-2 reuses gradient space per bucket).
import Tensor

/// The shape of a GPT.
public struct GPTConfig: Sendable, Equatable {
    /// Blocks L, heads H, width C, context (the largest T) and vocabulary V.
    public var layers: Int, heads: Int, dim: Int, context: Int, vocab: Int

    /// A shape; it is checked when a GPT is built from it. The vocabulary defaults to 256 bytes.
    public init(layers: Int, heads: Int, dim: Int, context: Int, vocab: Int = 256) {
        self.layers = layers; self.heads = heads; self.dim = dim; self.context = context; self.vocab = vocab
    }

    /// Parameters: V·C + T·C + L·(12C² + 13C) + 2C.
    public var parameterCount: Int { vocab * dim + context * dim + layers * (12 * dim * dim + 13 * dim) + 2 * dim }
}

/// A bad GPT shape or input, named with the value.
public struct GPTError: Error, CustomStringConvertible {
    /// What is wrong, with the value.
    public let description: String
}

/// A byte-level decoder-only transformer (GPT-2 blocks, tied head) as a Model.
public final class GPT: Model {
    /// The shape this model was built with.
    public let config: GPTConfig
    /// All parameters and gradients, in one flat buffer each.
    public let store: ParameterStore
    /// Backward units in forward order: embeddings, then attention and MLP half per block, then lnf.
    public let layerRanges: [Range<Int>]
    /// Tensor indices: wte, wpe, then per block 12 (ln1 w b, qkv w b, proj w b, ln2 w b, fc1 w b,
    /// fc2 w b), then lnf w b.
    static let perBlock = 12
    var p: [Tensor] = [], g: [Tensor] = []
    let acts = GPTActivations()

    /// - Throws: `GPTError` when heads do not divide dim or a size is not positive.
    public init(_ config: GPTConfig) throws(GPTError) {
        let (l, h, c, t, v) = (config.layers, config.heads, config.dim, config.context, config.vocab)
        guard l > 0, h > 0, c > 0, t > 0, v > 0 else {
            throw GPTError(description: "model: layers, heads, dim and context must be positive (got \(l), \(h), \(c), \(t))")
        }
        guard c % h == 0 else { throw GPTError(description: "model.heads: \(h) heads do not divide dim \(c)") }
        self.config = config
        var layout = ParameterLayout(), ranges: [Range<Int>] = []
        func unit(_ body: (inout ParameterLayout) -> Void) {
            let start = layout.count
            body(&layout)
            ranges.append(start ..< layout.count)
        }
        unit { _ = $0.add("wte", [v, c]); _ = $0.add("wpe", [t, c]) }
        for i in 0..<l {
            unit {
                _ = $0.add("h\(i).ln1.weight", [c]); _ = $0.add("h\(i).ln1.bias", [c])
                _ = $0.add("h\(i).attn.qkv.weight", [3 * c, c]); _ = $0.add("h\(i).attn.qkv.bias", [3 * c])
                _ = $0.add("h\(i).attn.proj.weight", [c, c]); _ = $0.add("h\(i).attn.proj.bias", [c])
            }
            unit {
                _ = $0.add("h\(i).ln2.weight", [c]); _ = $0.add("h\(i).ln2.bias", [c])
                _ = $0.add("h\(i).mlp.fc1.weight", [4 * c, c]); _ = $0.add("h\(i).mlp.fc1.bias", [4 * c])
                _ = $0.add("h\(i).mlp.fc2.weight", [c, 4 * c]); _ = $0.add("h\(i).mlp.fc2.bias", [c])
            }
        }
        unit { _ = $0.add("lnf.weight", [c]); _ = $0.add("lnf.bias", [c]) }
        layerRanges = ranges
        store = ParameterStore(layout: layout)
        bind()
    }

    func bind() {
        p = store.layout.entries.indices.map { store.param($0) }
        g = store.layout.entries.indices.map { store.grad($0) }
    }

    /// Moves every gradient to `buffer` laid out by `offsets` and rebinds the tensor views.
    public func placeGradients(offsets: [Int], in buffer: FloatBuffer) {
        store.placeGradients(offsets: offsets, in: buffer)
        bind()
    }

    /// Moves the parameters to `buffer` (its contents become the parameters) and rebinds.
    public func placeParameters(_ buffer: FloatBuffer) {
        store.placeParameters(buffer)
        bind()
    }

    /// Which tensors weight decay applies to: matrices (≥ 2-D), not biases or LayerNorm.
    public static func decays(_ entry: ParameterLayout.Entry) -> Bool { entry.shape.count >= 2 }

    /// GPT-2's: weights ~ N(0, 0.02), the two residual projections (attn.proj, mlp.fc2) ~
    /// N(0, 0.02/√(2L)), biases 0, LayerNorm weights 1. Tensor i draws from the stream split by i.
    public func initialize(seed: UInt64) {
        let root = RNG(seed: seed), residualStd = 0.02 / Float(2 * config.layers).squareRoot()
        for (i, e) in store.layout.entries.enumerated() {
            let t = p[i]
            if e.name.hasSuffix("ln1.weight") || e.name.hasSuffix("ln2.weight") || e.name == "lnf.weight" {
                for j in 0..<t.count { t[j] = 1 }
            } else if e.shape.count == 1 {
                t.zero()
            } else {
                var rng = root.split(UInt64(i))
                let std: Float = e.name.hasSuffix("proj.weight") || e.name.hasSuffix("fc2.weight") ? residualStd : 0.02
                for j in 0..<t.count { t[j] = rng.normal() * std }
            }
        }
    }

    /// Checks an input batch: (B, T) with 1 ≤ T ≤ context and every id in 0..<V.
    public func validate(tokens: Tensor) throws(GPTError) {
        guard tokens.shape.count == 2, tokens.cols >= 1, tokens.cols <= config.context else {
            throw GPTError(description: "input of shape \(tokens.shape): positions must be 1…\(config.context) (the model's context)")
        }
    }

    /// Tensor index of block l's k-th tensor (k in 0..<12, see `perBlock`).
    @inline(__always) func bi(_ l: Int, _ k: Int) -> Int { 2 + l * GPT.perBlock + k }
    /// Index of lnf.weight.
    var lnfIndex: Int { 2 + config.layers * GPT.perBlock }
}
