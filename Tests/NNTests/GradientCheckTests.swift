// Every layer's backward against central finite differences of L = Σ y·r (r random), for the
// input gradient and for every parameter (sampled), at odd shapes.
import NN
import Tensor
import XCTest

final class GradientCheckTests: XCTestCase {
    func randomize(_ t: Tensor, seed: UInt64) {
        var rng = RNG(seed: seed)
        for i in 0..<t.count { t[i] = rng.uniform(-1, 1) }
    }

    /// L(x, θ) = Σ layer(x) · r, in Double.
    func objective(_ layer: Layer, _ x: Tensor, _ r: Tensor) -> Double {
        let y = layer.forward(x)
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }

    /// `distinct` spaces the inputs ≥ 0.01 apart, so a ±eps probe never changes a max-pool argmax.
    func check(_ layer: Layer, input: [Int], distinct: Bool = false, file: StaticString = #filePath, line: UInt = #line) {
        let model = Sequential([layer], inputShape: Array(input.dropFirst()))
        model.initialize(seed: 3)
        let x = Tensor(zeros: input)
        randomize(x, seed: 4)
        if distinct {
            var rng = RNG(seed: 4)
            for (i, v) in rng.permutation(x.count).enumerated() { x[i] = Float(v) * 0.01 - 0.5 }
        }
        let y = layer.forward(x)
        let r = Tensor(zeros: y.shape)
        randomize(r, seed: 5)
        let dy = Tensor(zeros: y.shape)
        dy.copy(from: r)
        let dx = layer.backward(dy, accumulate: false, needInputGrad: true)!.array
        let grads = model.store.grads.array
        let eps: Float = 1e-3
        func numeric(_ p: UnsafeMutablePointer<Float>) -> Double {
            let old = p.pointee
            p.pointee = old + eps; let up = objective(layer, x, r)
            p.pointee = old - eps; let down = objective(layer, x, r)
            p.pointee = old
            return (up - down) / Double(2 * eps)
        }
        var worst = 0.0, worstAt = ""
        func compare(_ analytic: Float, _ num: Double, _ name: String) {
            let err = abs(Double(analytic) - num) / max(1, abs(num))
            if err > worst { worst = err; worstAt = "\(name): analytic \(analytic) numeric \(num)" }
        }
        let xs = stride(from: 0, to: x.count, by: max(1, x.count / 37))
        for i in xs { compare(dx[i], numeric(x.pointer + i), "dx[\(i)]") }
        let ps = stride(from: 0, to: model.parameterCount, by: max(1, model.parameterCount / 53))
        for i in ps { compare(grads[i], numeric(model.store.params.pointer + i), "dθ[\(i)]") }
        XCTAssertLessThan(worst, 1e-2, "GRADIENT NOT OK, worst \(worst) at \(worstAt)", file: file, line: line)
    }

    func testLinear() { check(Linear(7, 5), input: [3, 7]) }
    func testLinearWithFusedReLU() { check(Linear(9, 6, relu: true), input: [5, 9]) }
    func testReLU() { check(ReLU(), input: [3, 11]) }
    func testFlatten() { check(Flatten(), input: [2, 3, 4, 5]) }
    func testMaxPool() { check(MaxPool2d(2), input: [2, 3, 6, 4], distinct: true) }
    func testMaxPoolOddSizeDropsTheEdge() { check(MaxPool2d(2), input: [1, 2, 5, 7], distinct: true) }
    func testConv2dPadded() { check(Conv2d(2, 3, kernel: 3, padding: 1), input: [2, 2, 5, 6]) }
    func testConv2dUnpadded() { check(Conv2d(3, 2, kernel: 2, padding: 0), input: [3, 3, 4, 5]) }

    func testSoftmaxCrossEntropyGradient() {
        let logits = Tensor(zeros: [4, 7])
        randomize(logits, seed: 9)
        let labels: [Int32] = [0, 6, 3, 3]
        let ce = SoftmaxCrossEntropy()
        let d = labels.withUnsafeBufferPointer { ce.evaluate(logits, labels: $0.baseAddress!, denominator: 4).dlogits.array }
        let eps: Float = 1e-3
        for i in 0..<logits.count {
            let old = logits[i]
            logits[i] = old + eps
            let up = labels.withUnsafeBufferPointer { SoftmaxCrossEntropy.score(logits, labels: $0.baseAddress!).lossSum } / 4
            logits[i] = old - eps
            let down = labels.withUnsafeBufferPointer { SoftmaxCrossEntropy.score(logits, labels: $0.baseAddress!).lossSum } / 4
            logits[i] = old
            XCTAssertEqual(Double(d[i]), (up - down) / Double(2 * eps), accuracy: 1e-3, "dlogits[\(i)]")
        }
    }

    func testAccumulateAddsInsteadOfOverwriting() {
        let model = Models.mlp(input: 6, hidden: [5], classes: 3)
        model.initialize(seed: 1)
        let x = Tensor(zeros: [4, 6])
        randomize(x, seed: 2)
        let labels: [Int32] = [0, 1, 2, 1]
        let ce = SoftmaxCrossEntropy()
        func pass(accumulate: Bool) {
            let logits = model.forward(x)
            let r = labels.withUnsafeBufferPointer { ce.evaluate(logits, labels: $0.baseAddress!, denominator: 4) }
            model.backward(r.dlogits, accumulate: accumulate)
        }
        pass(accumulate: false)
        let once = model.store.grads.array
        pass(accumulate: true)
        let twice = model.store.grads.array
        for i in 0..<once.count { XCTAssertEqual(twice[i], 2 * once[i], accuracy: 1e-6) }
        pass(accumulate: false)
        XCTAssertEqual(maxAbsDiff(model.store.grads.array, once).value, 0)
    }

    func testBackwardReportsEveryLayerLastFirst() {
        let model = Models.mlp(input: 6, hidden: [5, 4], classes: 3)
        model.initialize(seed: 1)
        let x = Tensor(zeros: [2, 6])
        let logits = model.forward(x)
        var order: [Int] = []
        model.backward(logits, accumulate: false, beforeGrads: nil, layerDone: { order.append($0) })
        XCTAssertEqual(order, [3, 2, 1, 0])
        XCTAssertEqual(model.firstParameterLayer, 1, "Flatten has no parameters: Linear 1 computes no input gradient")
        XCTAssertEqual(model.layerRanges[1], 0 ..< 35)
        XCTAssertEqual(model.parameterCount, 35 + 24 + 15)
    }
}
