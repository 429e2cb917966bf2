// Implements: causal multi-head self-attention on a fused qkv activation, forward and backward.
// Shapes: B = batch, T = positions, C = width, H = heads, D = C/H per head.
//   qkv (B·T, 3C): row (b, t) holds q | k | v, head h at columns h·D ..< (h+1)·D of each third.
//   probs (B, H, T, T): softmax(q·kᵀ/√D) with the upper triangle (future positions) zero.
//   y (B·T, C): head h at columns h·D ..< (h+1)·D.
// Each head's q, k, v is a strided column slice of qkv, passed to sgemm with lda = 3C: no copies.
// Causality is used in blocks of `block` rows: row block [r0, r1) of the scores needs columns
// 0..<r1 only, so at T = 128 and block 64 the products do 3/4 of the full T×T work. The scale rides in sgemm's alpha; the mask and the softmax
// are one pass per row over the T×T scores (positions after the row's own are never exponentiated).
// Backward keeps qkv (needed for dq, dk, dv) and probs (so the softmax is not recomputed: B·H·T²
// floats, 2 MB a layer at workload G, against recomputing q·kᵀ and the exps).
import Tensor

/// The causal self-attention kernels of a GPT block (no parameters of its own).
public enum CausalSelfAttention {
    /// y = softmax(mask(q·kᵀ/√D)) · v per (b, h); writes probs (B, H, T, T).
    public static func forward(_ y: Tensor, probs: Tensor, _ qkv: Tensor, batch bsz: Int, positions t: Int, heads nh: Int, block: Int = 64) {
        let c = y.cols, d = c / nh, ld = 3 * c, scale = 1 / Float(d).squareRoot()
        let qp = qkv.pointer, pp = probs.pointer, yp = y.pointer, P = KernelProfile.self
        for b in 0..<bsz {
            for h in 0..<nh {
                let q = qp + b * t * ld + h * d, k = q + c, v = q + 2 * c
                let p = pp + (b * nh + h) * t * t
                let yh = yp + b * t * c + h * d
                for r0 in stride(from: 0, to: t, by: block) {
                    let r1 = min(r0 + block, t)
                    // scores [r0, r1) × [0, r1) = scale · q[r0..<r1] (·, D) · k[0..<r1]ᵀ
                    P.time("attn fwd S=q·kᵀ NT", flops: P.gemm(r1 - r0, r1, d)) {
                        matmulStrided(.none, .transposed, m: r1 - r0, n: r1, k: d, alpha: scale, a: q + r0 * ld, lda: ld, b: k, ldb: ld, c: p + r0 * t, ldc: t)
                    }
                    P.time("attn fwd softmax") { for i in r0..<r1 { softmaxRow(p + i * t, valid: i + 1, count: t) } }
                    // y[r0..<r1] (·, D) = probs[r0..<r1, 0..<r1] · v[0..<r1]
                    P.time("attn fwd y=P·v NN", flops: P.gemm(r1 - r0, d, r1)) {
                        matmulStrided(.none, .none, m: r1 - r0, n: d, k: r1, a: p + r0 * t, lda: t, b: v, ldb: ld, c: yh + r0 * c, ldc: c)
                    }
                }
            }
        }
    }

    /// row[0..<valid] = softmax(row[0..<valid]); row[valid..<count] = 0.
    @inline(__always)
    static func softmaxRow(_ row: UnsafeMutablePointer<Float>, valid: Int, count: Int) {
        let vec = valid - valid % simdWidth
        var mv = FloatVector(repeating: -.infinity), j = 0
        while j < vec { mv = vmax(mv, loadVector(row + j)); j += simdWidth }
        var m = mv.max()
        while j < valid { m = max(m, row[j]); j += 1 }
        let vm = FloatVector(repeating: m)
        var sv = FloatVector(repeating: 0)
        j = 0
        while j < vec { let e = vexp(loadVector(row + j) - vm); storeVector(e, row + j); sv += e; j += simdWidth }
        var s = sv.sum()
        while j < valid { let e = expf(row[j] - m); row[j] = e; s += e; j += 1 }
        let inv = 1 / s, vi = FloatVector(repeating: inv)
        j = 0
        while j < vec { storeVector(loadVector(row + j) * vi, row + j); j += simdWidth }
        while j < valid { row[j] *= inv; j += 1 }
        (row + valid).update(repeating: 0, count: count - valid)
    }

    /// dqkv (B·T, 3C) = d(qkv) given dy (B·T, C); `scratch` holds one head's dprobs (T, T).
    /// dv = probsᵀ·dy;  dP = dy·vᵀ;  dS = P ⊙ (dP − Σ_j P·dP) (zero where masked, as P is);
    /// dq = dS·k/√D;  dk = dSᵀ·q/√D.
    public static func backward(_ dqkv: Tensor, scratch: Tensor, _ dy: Tensor, probs: Tensor, _ qkv: Tensor,
                                batch bsz: Int, positions t: Int, heads nh: Int, block: Int = 64) {
        let c = dy.cols, d = c / nh, ld = 3 * c, scale = 1 / Float(d).squareRoot()
        let qp = qkv.pointer, dqp = dqkv.pointer, pp = probs.pointer, dyp = dy.pointer, ds = scratch.pointer, P = KernelProfile.self
        for b in 0..<bsz {
            for h in 0..<nh {
                let q = qp + b * t * ld + h * d, k = q + c, v = q + 2 * c
                let dq = dqp + b * t * ld + h * d, dk = dq + c, dv = dq + 2 * c
                let p = pp + (b * nh + h) * t * t, g = dyp + b * t * c + h * d
                for r0 in stride(from: 0, to: t, by: block) {
                    let r1 = min(r0 + block, t)
                    // dP[r0..<r1, 0..<r1] = dy[r0..<r1] · v[0..<r1]ᵀ, then dS in place, then dq[r0..<r1].
                    P.time("attn bwd dP=dy·vᵀ NT", flops: P.gemm(r1 - r0, r1, d)) {
                        matmulStrided(.none, .transposed, m: r1 - r0, n: r1, k: d, a: g + r0 * c, lda: c, b: v, ldb: ld, c: ds + r0 * t, ldc: t)
                    }
                    P.time("attn bwd softmax") { for i in r0..<r1 { softmaxBackwardRow(ds + i * t, probs: p + i * t, valid: i + 1, count: t) } }
                    P.time("attn bwd dq=dS·k NN", flops: P.gemm(r1 - r0, d, r1)) {
                        matmulStrided(.none, .none, m: r1 - r0, n: d, k: r1, alpha: scale, a: ds + r0 * t, lda: t, b: k, ldb: ld, c: dq + r0 * ld, ldc: ld)
                    }
                }
                for c0 in stride(from: 0, to: t, by: block) {
                    // Columns [c0, c1) get contributions from rows c0..<T only (P and dS are 0 above the diagonal).
                    let c1 = min(c0 + block, t)
                    P.time("attn bwd dv=Pᵀ·dy TN", flops: P.gemm(c1 - c0, d, t - c0)) {
                        matmulStrided(.transposed, .none, m: c1 - c0, n: d, k: t - c0, a: p + c0 * t + c0, lda: t, b: g + c0 * c, ldb: c, c: dv + c0 * ld, ldc: ld)
                    }
                    P.time("attn bwd dk=dSᵀ·q TN", flops: P.gemm(c1 - c0, d, t - c0)) {
                        matmulStrided(.transposed, .none, m: c1 - c0, n: d, k: t - c0, alpha: scale, a: ds + c0 * t + c0, lda: t, b: q + c0 * ld, ldb: ld,
                                      c: dk + c0 * ld, ldc: ld)
                    }
                }
            }
        }
    }

    /// In place: dp[j] = P[j]·(dp[j] − Σ_k P[k]·dp[k]) for j < valid, 0 after.
    @inline(__always)
    static func softmaxBackwardRow(_ dp: UnsafeMutablePointer<Float>, probs p: UnsafePointer<Float>, valid: Int, count: Int) {
        let vec = valid - valid % simdWidth
        var acc = FloatVector(repeating: 0), j = 0
        while j < vec { acc += loadVector(p + j) * loadVector(dp + j); j += simdWidth }
        var s = acc.sum()
        while j < valid { s += p[j] * dp[j]; j += 1 }
        let vs = FloatVector(repeating: s)
        j = 0
        while j < vec { storeVector(loadVector(p + j) * (loadVector(dp + j) - vs), dp + j); j += simdWidth }
        while j < valid { dp[j] = p[j] * (dp[j] - s); j += 1 }
        (dp + valid).update(repeating: 0, count: count - valid)
    }
}

import Foundation
