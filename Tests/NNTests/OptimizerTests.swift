// Optimizers against a plain Double re-statement of PyTorch's update rules.
import NN
import Tensor
import XCTest

final class OptimizerTests: XCTestCase {
    let n = 37

    func data(_ seed: UInt64) -> [Float] {
        var r = RNG(seed: seed)
        return (0..<n).map { _ in r.uniform(-1, 1) }
    }

    func testAdamAndAdamWMatchTheReferenceOverSteps() {
        for decoupled in [false, true] {
            let p = FloatBuffer(data(1))
            var ref = p.array.map(Double.init), m = [Double](repeating: 0, count: n), v = m
            let opt = Adam(range: 0..<n, learningRate: 0.01, weightDecay: 0.1, decoupled: decoupled)
            for t in 1...5 {
                let g = FloatBuffer(data(UInt64(10 + t)))
                opt.step(params: p.pointer, grads: g.pointer)
                for i in 0..<n {
                    var gi = Double(g.array[i])
                    if decoupled { ref[i] *= 1 - 0.01 * 0.1 } else { gi += 0.1 * ref[i] }
                    m[i] = 0.9 * m[i] + 0.1 * gi
                    v[i] = 0.999 * v[i] + 0.001 * gi * gi
                    let mh = m[i] / (1 - pow(0.9, Double(t))), vh = v[i] / (1 - pow(0.999, Double(t)))
                    ref[i] -= 0.01 * mh / (vh.squareRoot() + 1e-8)
                }
            }
            for i in 0..<n { XCTAssertEqual(Double(p.array[i]), ref[i], accuracy: 1e-5, "decoupled \(decoupled) [\(i)]") }
            XCTAssertEqual(opt.stateBytes, 2 * n * 4)
        }
    }

    func testSGDMomentumMatchesTheReferenceAndRespectsItsRange() {
        let p = FloatBuffer(data(2)), before = p.array
        var ref = before.map(Double.init), vel = [Double](repeating: 0, count: n)
        let range = 5 ..< 30
        let opt = SGD(range: range, learningRate: 0.1, momentum: 0.9, weightDecay: 0.01)
        for t in 0..<4 {
            let g = FloatBuffer(data(UInt64(20 + t)))
            opt.step(params: p.pointer, grads: g.pointer)
            for i in range {
                let gi = Double(g.array[i]) + 0.01 * ref[i]
                vel[i] = t == 0 ? gi : 0.9 * vel[i] + gi
                ref[i] -= 0.1 * vel[i]
            }
        }
        for i in 0..<n {
            if range.contains(i) { XCTAssertEqual(Double(p.array[i]), ref[i], accuracy: 1e-5) } else { XCTAssertEqual(p.array[i], before[i]) }
        }
        XCTAssertEqual(opt.stateBytes, range.count * 4)
    }
}
