// Implements: the token and position embeddings of a GPT, forward and backward.
// Shapes: B = batch, T = positions (≤ context), C = width, V = vocabulary.
// tokens (B, T) token ids held as floats (exact below 2²⁴); wte (V, C); wpe (context, C); x (B·T, C).
// Tokens have no gradient, so backward is parameter gradients only.
import Tensor

/// The token and position embedding kernels of a GPT.
public enum Embedding {
    /// x[b, t] = wte[tokens[b, t]] + wpe[t].
    public static func forward(_ x: Tensor, tokens: Tensor, wte: Tensor, wpe: Tensor) {
        let bsz = tokens.rows, t = tokens.cols, c = wte.cols, vec = c - c % simdWidth
        let xp = x.pointer, tp = tokens.pointer, ep = wte.pointer, pp = wpe.pointer
        for b in 0..<bsz {
            for s in 0..<t {
                let out = xp + (b * t + s) * c, tok = ep + Int(tp[b * t + s]) * c, pos = pp + s * c
                var j = 0
                while j < vec { storeVector(loadVector(tok + j) + loadVector(pos + j), out + j); j += simdWidth }
                while j < c { out[j] = tok[j] + pos[j]; j += 1 }
            }
        }
    }

    /// dwte[tokens[b, t]] += dx[b, t];  dwpe[t] += Σ_b dx[b, t]. Zeroes dwpe's first T rows first
    /// unless `accumulate` (dwte is the caller's: the tied head writes it first); rows of dwpe at
    /// and beyond T get zero unless accumulating.
    public static func backwardParams(dwte: Tensor, dwpe: Tensor, _ dx: Tensor, tokens: Tensor, accumulate: Bool) {
        let bsz = tokens.rows, t = tokens.cols, c = dwte.cols
        if !accumulate { dwpe.zero() }
        let dp = dx.pointer, tp = tokens.pointer, ep = dwte.pointer, pp = dwpe.pointer
        for b in 0..<bsz {
            for s in 0..<t {
                let row = dp + (b * t + s) * c
                axpy(1, row, ep + Int(tp[b * t + s]) * c, count: c)
                axpy(1, row, pp + s * c, count: c)
            }
        }
    }
}

/// The output head tied to the token embedding: logits = x · wteᵀ (no bias), so wte's gradient
/// has two parts, this one and the embedding's.
/// Shapes: x (N, C), wte (V, C), logits and dlogits (N, V).
public enum TiedHead {
    /// logits (N, V) = x (N, C) · wteᵀ.
    public static func forward(_ logits: Tensor, _ x: Tensor, wte: Tensor) {
        matmul(x, .none, wte, .transposed, into: logits)
    }

    /// dx (N, C) = dlogits · wte.
    public static func backwardInput(_ dx: Tensor, _ dlogits: Tensor, wte: Tensor) {
        matmul(dlogits, .none, wte, .none, into: dx)
    }

    /// dwte (V, C) = dlogitsᵀ · x, or += with `accumulate`.
    public static func backwardParams(dwte: Tensor, _ dlogits: Tensor, _ x: Tensor, accumulate: Bool) {
        matmul(dlogits, .transposed, x, .none, into: dwte, beta: accumulate ? 1 : 0)
    }
}
