// Implements: Dense, the fully connected kernels of the GPT blocks (qkv, attention projection,
// fc1, fc2) as free functions over views, split the way backward is: input gradient first, then
// parameter gradients, so a caller can put a hook (ZeRO-2's `beforeGrads`) between the two.
// Shapes: N = rows (B·T), IN = input features, OUT = output features.
// Parameters: weight (OUT, IN) as PyTorch stores it, bias (OUT).
import Tensor

/// The fully connected kernels of the GPT blocks, as free functions over views.
public enum Dense {
    /// y (N, OUT) = x (N, IN) · wᵀ + b, or with `residual` (N, OUT; may be y itself)
    /// y = residual + x · wᵀ + b: the residual add rides in sgemm's beta = 1.
    /// y is first set to b (or residual + b) in one pass and sgemm accumulates into it: OpenBLAS
    /// would otherwise zero y for beta = 0 and the bias would take a second pass over it.
    /// `site` names the call in a kernel profile (KernelProfile).
    public static func forward(_ y: Tensor, _ x: Tensor, weight w: Tensor, bias b: Tensor, residual: Tensor? = nil, site: String = "linear") {
        KernelProfile.time("\(site) bias rows") { setRowsToBias(y, b, plus: residual) }
        KernelProfile.time("\(site) y=x·Wᵀ NT \(y.rows)×\(y.cols)×\(x.cols)", flops: KernelProfile.gemm(y.rows, y.cols, x.cols)) {
            matmul(x, .none, w, .transposed, into: y, beta: 1)
        }
    }

    /// y[r] = b (+ residual[r]) for every row r of y (N, OUT).
    static func setRowsToBias(_ y: Tensor, _ b: Tensor, plus residual: Tensor?) {
        let f = b.count, rows = y.count / max(f, 1), vec = f - f % simdWidth, yp = y.pointer, bp = b.pointer
        if let residual {
            precondition(residual.count == y.count, "Dense.forward: residual of \(residual.count) for \(y.count)")
            let rp = residual.pointer
            for r in 0..<rows {
                let out = yp + r * f, inp = rp + r * f
                var j = 0
                while j < vec { storeVector(loadVector(inp + j) + loadVector(bp + j), out + j); j += simdWidth }
                while j < f { out[j] = inp[j] + bp[j]; j += 1 }
            }
        } else {
            for r in 0..<rows { (yp + r * f).update(from: bp, count: f) }
        }
    }

    /// dx (N, IN) = dy (N, OUT) · w, or += with `accumulate`.
    public static func backwardInput(_ dx: Tensor, _ dy: Tensor, weight w: Tensor, accumulate: Bool = false, site: String = "linear") {
        KernelProfile.time("\(site) dx=dy·W NN \(dx.rows)×\(dx.cols)×\(dy.cols)", flops: KernelProfile.gemm(dx.rows, dx.cols, dy.cols)) {
            matmul(dy, .none, w, .none, into: dx, beta: accumulate ? 1 : 0)
        }
    }

    /// dw (OUT, IN) = dyᵀ · x and db (OUT) = Σ_N dy, or += both with `accumulate`; db nil:
    /// the caller made it already (GELU's backward folds it into its pass over dy).
    public static func backwardParams(dw: Tensor, db: Tensor?, _ dy: Tensor, _ x: Tensor, accumulate: Bool, site: String = "linear") {
        KernelProfile.time("\(site) dW=dyᵀ·x TN \(dw.rows)×\(dw.cols)×\(dy.rows)", flops: KernelProfile.gemm(dw.rows, dw.cols, dy.rows)) {
            matmul(dy, .transposed, x, .none, into: dw, beta: accumulate ? 1 : 0)
        }
        guard let db else { return }
        KernelProfile.time("\(site) db column sums") {
            if !accumulate { db.zero() }
            addColumnSums(of: dy, into: db)
        }
    }
}

/// The residual connection x + f(x): forward adds in place; backward passes the gradient to both
/// branches unchanged, so the GPT's backward keeps ONE residual gradient (N, C) and each block's
/// input gradient is added into it.
public enum Residual {
    /// x (count) += y (count).
    public static func forward(_ x: Tensor, adding y: Tensor) {
        precondition(x.count == y.count, "residual of \(x.count) and \(y.count)")
        let n = x.count, vec = n - n % simdWidth, xp = x.pointer, yp = y.pointer
        var i = 0
        while i < vec { storeVector(loadVector(xp + i) + loadVector(yp + i), xp + i); i += simdWidth }
        while i < n { xp[i] += yp[i]; i += 1 }
    }

    /// d(x) += d(x + f(x)): the identity branch's share; the f branch's arrives through f's backward.
    public static func backward(_ dx: Tensor, _ dOut: Tensor) { forward(dx, adding: dOut) }
}
