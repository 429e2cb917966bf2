import Tensor
import XCTest

final class MatmulTests: XCTestCase {
    func random(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = RNG(seed: seed)
        let t = Tensor(zeros: shape)
        for i in 0..<t.count { t[i] = rng.uniform(-1, 1) }
        return t
    }

    func assertClose(_ a: Tensor, _ b: Tensor, tol: Float, _ what: String) {
        let (d, at) = maxAbsDiff(a.array, b.array)
        XCTAssertLessThanOrEqual(d, tol, "\(what): TENSOR NOT OK, maxdiff = \(d) at \(at)")
    }

    func testAllTransposeCombinationsMatchNaiveOnOddShapes() {
        for (m, n, k) in [(3, 5, 7), (1, 1, 1), (17, 3, 33), (64, 10, 129)] {
            for ta in [Transpose.none, .transposed] {
                for tb in [Transpose.none, .transposed] {
                    let a = random(ta == .none ? [m, k] : [k, m], seed: 1)
                    let b = random(tb == .none ? [k, n] : [n, k], seed: 2)
                    let c1 = random([m, n], seed: 3), c2 = Tensor(zeros: [m, n])
                    c2.copy(from: c1)
                    matmul(a, ta, b, tb, into: c1, alpha: 0.5, beta: 0.25)
                    matmulNaive(a, ta, b, tb, into: c2, alpha: 0.5, beta: 0.25)
                    assertClose(c1, c2, tol: 1e-4, "m\(m) n\(n) k\(k) \(ta) \(tb)")
                }
            }
        }
    }

    func testZeroInnerDimensionGivesBetaTimesC() {
        let a = Tensor(zeros: [3, 0]), b = Tensor(zeros: [0, 2]), c = Tensor([1, 2, 3, 4, 5, 6], shape: [3, 2])
        matmul(a, .none, b, .none, into: c, beta: 0)
        XCTAssertEqual(c.array, [0, 0, 0, 0, 0, 0])
    }
}
