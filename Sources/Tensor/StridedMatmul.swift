// Implements: sgemm on raw pointers with explicit leading dimensions, for operands that are
// column slices of a wider row-major matrix (one attention head's q, k or v inside the fused
// qkv activation (B·T, 3C)): the heads then go through sgemm without being copied out first.
// Shapes: C (M, N) = alpha · op(A) (M, K) · op(B) (K, N) + beta · C; lda, ldb, ldc in floats.
import COpenBLAS

/// C (M, N) = alpha · op(A) · op(B) + beta · C, row-major, rows `lda`/`ldb`/`ldc` floats apart.
///
/// - Parameters:
///   - a: (M, K), or (K, M) when transposed, with rows `lda` apart (lda ≥ its column count).
///   - b: (K, N), or (N, K) when transposed, with rows `ldb` apart.
///   - c: (M, N) with rows `ldc` apart; read only when `beta` ≠ 0.
/// The corresponding C function is `cblas_sgemm`.
@inline(__always)
public func matmulStrided(_ ta: Transpose, _ tb: Transpose, m: Int, n: Int, k: Int, alpha: Float = 1,
                          a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                          beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
    guard m > 0, n > 0, k > 0 else { return }
    cblas_sgemm(CblasRowMajor, ta.cblas, tb.cblas, Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
}
