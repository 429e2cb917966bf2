// Implements: matrix multiply on row-major Tensors through OpenBLAS cblas_sgemm, transposes
// folded into the call (no copies), and the naive triple loop the tests compare it against.
// Shapes: C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C.
import COpenBLAS

/// Whether an operand is used as stored or transposed.
public enum Transpose: Sendable {
    case none, transposed
    var cblas: CBLAS_TRANSPOSE { self == .none ? CblasNoTrans : CblasTrans }
}

/// C (M, N) = alpha · op(A) · op(B) + beta · C, all row-major and contiguous.
///
/// - Parameters:
///   - a: (M, K) or, transposed, (K, M).
///   - b: (K, N) or, transposed, (N, K).
///   - c: (M, N); read only when `beta` ≠ 0.
/// The corresponding C function is `cblas_sgemm`.
@inline(__always)
public func matmul(_ a: Tensor, _ ta: Transpose, _ b: Tensor, _ tb: Transpose,
                   into c: Tensor, alpha: Float = 1, beta: Float = 0) {
    let m = c.rows, n = c.cols
    let k = ta == .none ? a.cols : a.rows
    precondition((ta == .none ? a.rows : a.cols) == m, "matmul: A rows \(a.shape) vs C \(c.shape)")
    precondition((tb == .none ? b.rows : b.cols) == k, "matmul: B \(b.shape) vs K \(k)")
    precondition((tb == .none ? b.cols : b.rows) == n, "matmul: B cols \(b.shape) vs C \(c.shape)")
    guard m > 0, n > 0 else { return }
    if k == 0 { // sgemm with K = 0 is allowed but some builds read A; keep it defined.
        if beta == 0 { c.zero() } else if beta != 1 { scale(c, by: beta) }
        return
    }
    cblas_sgemm(CblasRowMajor, ta.cblas, tb.cblas, Int32(m), Int32(n), Int32(k), alpha,
                a.pointer, Int32(a.cols), b.pointer, Int32(b.cols), beta, c.pointer, Int32(c.cols))
}

/// Reference for `matmul`: the triple loop in Double, for tests only.
public func matmulNaive(_ a: Tensor, _ ta: Transpose, _ b: Tensor, _ tb: Transpose,
                        into c: Tensor, alpha: Float = 1, beta: Float = 0) {
    let m = c.rows, n = c.cols, k = ta == .none ? a.cols : a.rows
    for i in 0..<m {
        for j in 0..<n {
            var s = 0.0
            for p in 0..<k {
                let av = ta == .none ? a[i * a.cols + p] : a[p * a.cols + i]
                let bv = tb == .none ? b[p * b.cols + j] : b[j * b.cols + p]
                s += Double(av) * Double(bv)
            }
            let old = beta == 0 ? 0 : Double(beta) * Double(c[i * n + j])
            c[i * n + j] = Float(Double(alpha) * s + old)
        }
    }
}
