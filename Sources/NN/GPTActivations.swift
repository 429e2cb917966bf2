// Implements: GPTActivations, what a GPT's forward keeps for its backward, and backward's scratch:
// every buffer allocated once per batch shape (B, T), none per step.
// Shapes per block l: resid[l], mid[l], ln1[l], ln2[l], att[l] (N, C); qkv[l] (N, 3C);
// probs[l] (B, H, T, T); fc1[l] (N, 4C: after forward gelu'(fc1), GELU.forward(_:slope:)), gelu[l] (N, 4C); means and 1/σ (N).
import Tensor

final class GPTActivations {
    private(set) var batch = 0, positions = 0
    /// The residual stream entering block l (resid[L]: leaving the last block), and after its
    /// attention half (mid[l]).
    var resid: [Tensor] = [], mid: [Tensor] = []
    var ln1: [Tensor] = [], ln1Mean: [Tensor] = [], ln1Rstd: [Tensor] = []
    var ln2: [Tensor] = [], ln2Mean: [Tensor] = [], ln2Rstd: [Tensor] = []
    var qkv: [Tensor] = [], probs: [Tensor] = [], att: [Tensor] = [], fc1: [Tensor] = [], gelu: [Tensor] = []
    var lnf = Tensor(zeros: [0]), lnfMean = Tensor(zeros: [0]), lnfRstd = Tensor(zeros: [0]), logits = Tensor(zeros: [0])
    /// The last forward's input (B, T).
    var tokens = Tensor(zeros: [0])
    // Backward scratch: residual gradient, a LayerNorm output's gradient, and the wider ones.
    var dResid = Tensor(zeros: [0]), dNorm = Tensor(zeros: [0]), dQKV = Tensor(zeros: [0]), dAtt = Tensor(zeros: [0])
    var dHidden = Tensor(zeros: [0]), dProbs = Tensor(zeros: [0]), dWteHead = Tensor(zeros: [0])

    /// Sizes every buffer for (batch, positions), reallocating only when the shape changes.
    func ensure(_ cfg: GPTConfig, batch b: Int, positions t: Int) {
        guard b != batch || t != positions else { return }
        batch = b; positions = t
        let n = b * t, c = cfg.dim, l = cfg.layers
        func make(_ shape: [Int]) -> Tensor { Tensor(zeros: shape) }
        func many(_ k: Int, _ shape: [Int]) -> [Tensor] { (0..<k).map { _ in make(shape) } }
        resid = many(l + 1, [n, c]); mid = many(l, [n, c])
        ln1 = many(l, [n, c]); ln1Mean = many(l, [n]); ln1Rstd = many(l, [n])
        ln2 = many(l, [n, c]); ln2Mean = many(l, [n]); ln2Rstd = many(l, [n])
        qkv = many(l, [n, 3 * c]); probs = many(l, [b, cfg.heads, t, t]); att = many(l, [n, c])
        fc1 = many(l, [n, 4 * c]); gelu = many(l, [n, 4 * c])
        lnf = make([n, c]); lnfMean = make([n]); lnfRstd = make([n]); logits = make([n, cfg.vocab])
        dResid = make([n, c]); dNorm = make([n, c]); dQKV = make([n, 3 * c]); dAtt = make([n, c])
        dHidden = make([n, 4 * c]); dProbs = make([t, t]); dWteHead = make([cfg.vocab, c])
    }
}
