// Implements: the GPT's forward and backward passes (the model is in GPT.swift). Each layer's
// backward is its input gradient, then its parameter gradients (see Dense, LayerNorm, Embedding).
// Shapes: B = batch, T = positions, C = dim, N = B·T, V = vocab.
import Tensor

extension GPT {
    /// Logits (N, V) for tokens (B, T); valid until the next forward. T must be ≤ context and
    /// every id < V (callers check with `validate(tokens:)`).
    public func forward(_ x: Tensor) -> Tensor {
        let cfg = config, bsz = x.rows, t = x.cols
        precondition(t <= cfg.context, "GPT.forward: \(t) positions above the context \(cfg.context)")
        let a = acts
        a.ensure(cfg, batch: bsz, positions: t)
        a.tokens = x
        let P = KernelProfile.self
        P.time("embedding fwd") { Embedding.forward(a.resid[0], tokens: x, wte: p[0], wpe: p[1].rows(0 ..< t)) }
        for l in 0..<cfg.layers {
            let w = { (k: Int) in self.p[self.bi(l, k)] }
            P.time("layernorm fwd") { LayerNorm.forward(a.ln1[l], mean: a.ln1Mean[l], rstd: a.ln1Rstd[l], a.resid[l], weight: w(0), bias: w(1)) }
            Dense.forward(a.qkv[l], a.ln1[l], weight: w(2), bias: w(3), site: "qkv")
            CausalSelfAttention.forward(a.att[l], probs: a.probs[l], a.qkv[l], batch: bsz, positions: t, heads: cfg.heads)
            Dense.forward(a.mid[l], a.att[l], weight: w(4), bias: w(5), residual: a.resid[l], site: "proj")  // x += proj(attn(ln1(x)))
            P.time("layernorm fwd") { LayerNorm.forward(a.ln2[l], mean: a.ln2Mean[l], rstd: a.ln2Rstd[l], a.mid[l], weight: w(6), bias: w(7)) }
            Dense.forward(a.fc1[l], a.ln2[l], weight: w(8), bias: w(9), site: "fc1")
            P.time("gelu fwd") { GELU.forward(a.gelu[l], slope: a.fc1[l]) }  // fc1's output becomes gelu'(fc1), for backward
            Dense.forward(a.resid[l + 1], a.gelu[l], weight: w(10), bias: w(11), residual: a.mid[l], site: "fc2")  // x += fc2(gelu(fc1(ln2(x))))
        }
        let f = lnfIndex
        P.time("layernorm fwd") { LayerNorm.forward(a.lnf, mean: a.lnfMean, rstd: a.lnfRstd, a.resid[cfg.layers], weight: p[f], bias: p[f + 1]) }
        P.time("head logits NT", flops: P.gemm(a.logits.rows, a.logits.cols, a.lnf.cols)) { TiedHead.forward(a.logits, a.lnf, wte: p[0]) }
        return a.logits
    }

    /// Backpropagates dlogits (N, V) of the last forward, units last to first (see GPT.swift).
    public func backward(_ dOutput: Tensor, accumulate: Bool, beforeGrads: ((Int) -> Void)?, layerDone: ((Int) -> Void)?) {
        let cfg = config, a = acts, bsz = a.batch, t = a.positions, f = lnfIndex, acc = accumulate
        // Head: its input gradient, and its share of dwte into the private buffer.
        let P = KernelProfile.self, n = a.lnf.rows, c = cfg.dim
        P.time("head dx NN", flops: P.gemm(n, c, cfg.vocab)) { TiedHead.backwardInput(a.dNorm, dOutput, wte: p[0]) }
        P.time("head dW TN", flops: P.gemm(cfg.vocab, c, n)) { TiedHead.backwardParams(dwte: a.dWteHead, dOutput, a.lnf, accumulate: false) }
        var u = 2 * cfg.layers + 1
        beforeGrads?(u)
        P.time("layernorm bwd") {
            a.dResid.zero()
            LayerNorm.backward(a.dResid, dw: g[f], db: g[f + 1], a.dNorm, a.resid[cfg.layers], mean: a.lnfMean, rstd: a.lnfRstd, weight: p[f], accumulate: acc)
        }
        layerDone?(u)
        for l in stride(from: cfg.layers - 1, through: 0, by: -1) {
            let w = { (k: Int) in self.p[self.bi(l, k)] }, dw = { (k: Int) in self.g[self.bi(l, k)] }
            // MLP half: dResid is d(resid[l+1]) and becomes d(mid[l]).
            u -= 1
            beforeGrads?(u)
            Dense.backwardInput(a.dHidden, a.dResid, weight: w(10), site: "fc2")
            Dense.backwardParams(dw: dw(10), db: dw(11), a.dResid, a.gelu[l], accumulate: acc, site: "fc2")
            P.time("gelu bwd + fc1 db") { GELU.backward(a.dHidden, a.dHidden, slope: a.fc1[l], biasGradient: dw(9), accumulate: acc) }
            Dense.backwardInput(a.dNorm, a.dHidden, weight: w(8), site: "fc1")
            Dense.backwardParams(dw: dw(8), db: nil, a.dHidden, a.ln2[l], accumulate: acc, site: "fc1")
            P.time("layernorm bwd") { LayerNorm.backward(a.dResid, dw: dw(6), db: dw(7), a.dNorm, a.mid[l], mean: a.ln2Mean[l], rstd: a.ln2Rstd[l], weight: w(6), accumulate: acc) }
            layerDone?(u)
            // Attention half: dResid becomes d(resid[l]).
            u -= 1
            beforeGrads?(u)
            Dense.backwardInput(a.dAtt, a.dResid, weight: w(4), site: "proj")
            Dense.backwardParams(dw: dw(4), db: dw(5), a.dResid, a.att[l], accumulate: acc, site: "proj")
            CausalSelfAttention.backward(a.dQKV, scratch: a.dProbs, a.dAtt, probs: a.probs[l], a.qkv[l], batch: bsz, positions: t, heads: cfg.heads)
            Dense.backwardInput(a.dNorm, a.dQKV, weight: w(2), site: "qkv")
            Dense.backwardParams(dw: dw(2), db: dw(3), a.dQKV, a.ln1[l], accumulate: acc, site: "qkv")
            P.time("layernorm bwd") { LayerNorm.backward(a.dResid, dw: dw(0), db: dw(1), a.dNorm, a.resid[l], mean: a.ln1Mean[l], rstd: a.ln1Rstd[l], weight: w(0), accumulate: acc) }
            layerDone?(u)
        }
        // Embeddings: dwte = head's share + the embedding's scatter; dwpe from the positions.
        u -= 1
        beforeGrads?(u)
        P.time("embedding bwd") {
            if acc { Residual.forward(g[0], adding: a.dWteHead) } else { g[0].copy(from: a.dWteHead) }
            if !acc && t < cfg.context { g[1].zero() }
            Embedding.backwardParams(dwte: g[0], dwpe: g[1].rows(0 ..< t), a.dResid, tokens: a.tokens, accumulate: acc)
        }
        layerDone?(u)
    }
}
