// Each GPT layer's backward (Embedding, LayerNorm, CausalSelfAttention, GELU, Residual, Dense,
// TiedHead) and a whole 2-layer GPT against central finite differences of L = Σ y·r (r random),
// at odd shapes; plus vexp/vtanh against libm.
import Foundation
import NN
import Tensor
import XCTest

final class GPTLayerTests: XCTestCase {
    func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let t = Tensor(zeros: shape)
        var rng = RNG(seed: seed)
        for i in 0..<t.count { t[i] = rng.uniform(-scale, scale) }
        return t
    }

    func dot(_ y: Tensor, _ r: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count { s += Double(y[i]) * Double(r[i]) }
        return s
    }

    /// Compares each analytic gradient with (L(θ+ε) − L(θ−ε))/2ε at up to ~40 elements per tensor.
    func check(_ pairs: [(String, Tensor, [Float])], eps: Float = 1e-3, tol: Double = 1e-2,
               _ objective: () -> Double, file: StaticString = #filePath, line: UInt = #line) {
        var worst = 0.0, at = ""
        for (name, value, analytic) in pairs {
            for i in stride(from: 0, to: value.count, by: max(1, value.count / 41)) {
                let old = value[i]
                value[i] = old + eps; let up = objective()
                value[i] = old - eps; let down = objective()
                value[i] = old
                let num = (up - down) / Double(2 * eps), err = abs(Double(analytic[i]) - num) / max(1, abs(num))
                if err > worst { worst = err; at = "\(name)[\(i)]: analytic \(analytic[i]) numeric \(num)" }
            }
        }
        XCTAssertLessThan(worst, tol, "GRADIENT NOT OK, worst \(worst) at \(at)", file: file, line: line)
    }

    func testDense() {
        let x = random([5, 7], seed: 1), w = random([3, 7], seed: 2), b = random([3], seed: 3), r = random([5, 3], seed: 4)
        let y = Tensor(zeros: [5, 3]), dx = Tensor(zeros: [5, 7]), dw = Tensor(zeros: [3, 7]), db = Tensor(zeros: [3])
        Dense.forward(y, x, weight: w, bias: b)
        Dense.backwardInput(dx, r, weight: w)
        Dense.backwardParams(dw: dw, db: db, r, x, accumulate: false)
        check([("x", x, dx.array), ("w", w, dw.array), ("b", b, db.array)]) { Dense.forward(y, x, weight: w, bias: b); return dot(y, r) }
        // With a residual (another tensor, or y itself): y = residual + x·wᵀ + b, against the naive kernel.
        let res = random([5, 3], seed: 5), reference = Tensor(zeros: [5, 3]), out = Tensor(zeros: [5, 3])
        matmulNaive(x, .none, w, .transposed, into: reference)
        Dense.forward(out, x, weight: w, bias: b, residual: res)
        var worst: Float = 0
        for i in 0..<15 { worst = max(worst, abs(out[i] - (res[i] + reference[i] + b[i % 3]))) }
        out.copy(from: res)
        Dense.forward(out, x, weight: w, bias: b, residual: out)
        for i in 0..<15 { worst = max(worst, abs(out[i] - (res[i] + reference[i] + b[i % 3]))) }
        XCTAssertLessThan(worst, 1e-5, "Dense.forward with a residual: max diff \(worst)")
    }

    func testLayerNorm() {
        let x = random([5, 11], seed: 1, scale: 2), w = random([11], seed: 2), b = random([11], seed: 3), r = random([5, 11], seed: 4)
        let y = Tensor(zeros: [5, 11]), m = Tensor(zeros: [5]), s = Tensor(zeros: [5])
        let dx = Tensor(zeros: [5, 11]), dw = Tensor(zeros: [11]), db = Tensor(zeros: [11])
        LayerNorm.forward(y, mean: m, rstd: s, x, weight: w, bias: b)
        LayerNorm.backwardInput(dx, r, x, mean: m, rstd: s, weight: w)
        LayerNorm.backwardParams(dw: dw, db: db, r, x, mean: m, rstd: s, accumulate: false)
        check([("x", x, dx.array), ("w", w, dw.array), ("b", b, db.array)]) {
            LayerNorm.forward(y, mean: m, rstd: s, x, weight: w, bias: b); return dot(y, r)
        }
    }

    func testFusedLayerNormBackwardEqualsTheSplitPair() {
        let x = random([6, 19], seed: 7, scale: 2), w = random([19], seed: 8), b = random([19], seed: 9), r = random([6, 19], seed: 10)
        let y = Tensor(zeros: [6, 19]), m = Tensor(zeros: [6]), s = Tensor(zeros: [6])
        LayerNorm.forward(y, mean: m, rstd: s, x, weight: w, bias: b)
        for acc in [false, true] {
            let dx = random([6, 19], seed: 11), dw = random([19], seed: 12), db = random([19], seed: 13)
            let dx2 = Tensor(zeros: [6, 19]), dw2 = Tensor(zeros: [19]), db2 = Tensor(zeros: [19])
            dx2.copy(from: dx); dw2.copy(from: dw); db2.copy(from: db)
            LayerNorm.backwardInput(dx, r, x, mean: m, rstd: s, weight: w)
            LayerNorm.backwardParams(dw: dw, db: db, r, x, mean: m, rstd: s, accumulate: acc)
            LayerNorm.backward(dx2, dw: dw2, db: db2, r, x, mean: m, rstd: s, weight: w, accumulate: acc)
            for (name, want, got) in [("dx", dx, dx2), ("dw", dw, dw2), ("db", db, db2)] {
                let diff = zip(want.array, got.array).map { $0.bitPattern == $1.bitPattern ? 0 : 1 }.reduce(0, +)
                XCTAssertEqual(diff, 0, "\(name), accumulate \(acc): \(diff) elements differ in their bits")
            }
        }
    }

    func testGELU() {
        let x = random([37], seed: 1, scale: 4), r = random([37], seed: 2), y = Tensor(zeros: [37]), dx = Tensor(zeros: [37])
        GELU.forward(y, x)
        for i in 0..<37 {  // against the formula in Double
            let v = Double(x[i]), ref = 0.5 * v * (1 + tanh(0.7978845608 * (v + 0.044715 * v * v * v)))
            XCTAssertEqual(Double(y[i]), ref, accuracy: 1e-5)
        }
        GELU.backward(dx, r, x)
        check([("x", x, dx.array)]) { GELU.forward(y, x); return dot(y, r) }
    }

    func testGELUWithSlopeMatchesThePlainPair() {
        let rows = 7, f = 19   // odd on purpose: a SIMD body and a scalar tail per row
        let x = random([rows, f], seed: 5, scale: 4), r = random([rows, f], seed: 6)
        let y = Tensor(zeros: [rows, f]), dx = Tensor(zeros: [rows, f])
        GELU.forward(y, x)
        GELU.backward(dx, r, x)
        let slope = Tensor(zeros: [rows, f]), y2 = Tensor(zeros: [rows, f]), dx2 = Tensor(zeros: [rows, f]), db = Tensor(zeros: [f])
        slope.copy(from: x)
        GELU.forward(y2, slope: slope)
        GELU.backward(dx2, r, slope: slope, biasGradient: db, accumulate: false)
        var worst = (0.0, 0)
        for i in 0..<rows * f {
            XCTAssertEqual(y2[i], y[i], accuracy: 1e-6 * max(1, abs(y[i])), "y at \(i)")
            let d = Double(abs(dx2[i] - dx[i])) / max(1, Double(abs(dx[i])))
            if d > worst.0 { worst = (d, i) }
        }
        XCTAssertLessThan(worst.0, 1e-5, "dx: maxdiff \(worst.0) at \(worst.1)")
        for j in 0..<f {
            let ref = (0..<rows).reduce(0.0) { $0 + Double(dx[$1 * f + j]) }
            XCTAssertEqual(Double(db[j]), ref, accuracy: 1e-5, "db at \(j)")
        }
        let once = db.array
        GELU.backward(dx2, r, slope: slope, biasGradient: db, accumulate: true)
        for j in 0..<f { XCTAssertEqual(db[j], 2 * once[j], accuracy: 1e-5, "accumulated db at \(j)") }
    }

    func testResidual() {
        let x = random([13], seed: 1), y = random([13], seed: 2), r = random([13], seed: 3), out = Tensor(zeros: [13])
        let dx = Tensor(zeros: [13])
        Residual.backward(dx, r)
        check([("x", x, dx.array), ("y", y, dx.array)]) { out.copy(from: x); Residual.forward(out, adding: y); return dot(out, r) }
    }

    func testCausalSelfAttention() { checkAttention(block: 64) }
    /// Blocks of 3 rows over 7 positions: a partial last block, and every skipped region.
    func testCausalSelfAttentionInBlocks() { checkAttention(block: 3) }

    func checkAttention(block: Int, file: StaticString = #filePath, line: UInt = #line) {
        let (b, t, c, h) = (2, 7, 6, 2)
        let qkv = random([b * t, 3 * c], seed: 1, scale: 2), r = random([b * t, c], seed: 2)
        let y = Tensor(zeros: [b * t, c]), probs = Tensor(zeros: [b, h, t, t]), dqkv = Tensor(zeros: [b * t, 3 * c])
        CausalSelfAttention.forward(y, probs: probs, qkv, batch: b, positions: t, heads: h, block: block)
        for i in 0..<t { for j in (i + 1)..<max(t, i + 1) { XCTAssertEqual(probs[i * t + j], 0, "future position \(j) seen from \(i)") } }
        // Position 0 attends only to itself: y = its own v.
        XCTAssertEqual(y[0], qkv[2 * c], accuracy: 1e-6)
        let scratch = Tensor(zeros: [t, t])
        for i in 0..<scratch.count { scratch[i] = .nan }   // backward must not read what it did not write
        CausalSelfAttention.backward(dqkv, scratch: scratch, r, probs: probs, qkv, batch: b, positions: t, heads: h, block: block)
        let objective = { () -> Double in
            CausalSelfAttention.forward(y, probs: probs, qkv, batch: b, positions: t, heads: h, block: block); return self.dot(y, r)
        }
        check([("qkv", qkv, dqkv.array)], objective, file: file, line: line)
    }

    func testEmbedding() {
        let tokens = Tensor([3, 0, 6, 3, 1, 2, 2, 5, 0, 4], shape: [2, 5])
        let wte = random([7, 6], seed: 1), wpe = random([5, 6], seed: 2), r = random([10, 6], seed: 3), x = Tensor(zeros: [10, 6])
        let dwte = Tensor(zeros: [7, 6]), dwpe = Tensor(zeros: [5, 6])
        Embedding.forward(x, tokens: tokens, wte: wte, wpe: wpe)
        Embedding.backwardParams(dwte: dwte, dwpe: dwpe, r, tokens: tokens, accumulate: false)
        check([("wte", wte, dwte.array), ("wpe", wpe, dwpe.array)]) { Embedding.forward(x, tokens: tokens, wte: wte, wpe: wpe); return dot(x, r) }
    }

    func testTiedHead() {
        let x = random([5, 6], seed: 1), wte = random([9, 6], seed: 2), r = random([5, 9], seed: 3), y = Tensor(zeros: [5, 9])
        let dx = Tensor(zeros: [5, 6]), dw = Tensor(zeros: [9, 6])
        TiedHead.forward(y, x, wte: wte)
        TiedHead.backwardInput(dx, r, wte: wte)
        TiedHead.backwardParams(dwte: dw, r, x, accumulate: false)
        check([("x", x, dx.array), ("wte", wte, dw.array)]) { TiedHead.forward(y, x, wte: wte); return dot(y, r) }
    }

    /// A whole 2-layer GPT (random parameters, so that every path carries gradient) under the
    /// cross-entropy over every position, and with accumulation adding the same gradient again.
    func testWholeGPT() throws {
        let model = try GPT(GPTConfig(layers: 2, heads: 2, dim: 8, context: 6, vocab: 11))
        var rng = RNG(seed: 5)
        for i in 0..<model.parameterCount { model.store.params.pointer[i] = rng.uniform(-0.4, 0.4) }
        let tokens = Tensor([1, 4, 9, 2, 0, 10, 3, 3, 7, 5], shape: [2, 5])
        let labels: [Int32] = [4, 9, 2, 0, 6, 3, 3, 7, 5, 1]
        let ce = SoftmaxCrossEntropy()
        func loss() -> Double {
            let logits = model.forward(tokens)
            return labels.withUnsafeBufferPointer { SoftmaxCrossEntropy.score(logits, labels: $0.baseAddress!).lossSum } / 10
        }
        let logits = model.forward(tokens)
        let r = labels.withUnsafeBufferPointer { ce.evaluate(logits, labels: $0.baseAddress!, denominator: 10) }
        var order: [Int] = []
        model.backward(r.dlogits, accumulate: false, beforeGrads: { order.append(-$0 - 1) }, layerDone: { order.append($0) })
        XCTAssertEqual(order, [-6, 5, -5, 4, -4, 3, -3, 2, -2, 1, -1, 0], "units in reverse, each hooked before its first write")
        let grads = model.store.grads.array
        let entries = model.store.layout.entries
        let pairs = entries.enumerated().map { (i, e) in (e.name, model.store.param(i), Array(grads[e.range])) }
        check(pairs, eps: 1e-2, tol: 2e-3) { loss() }
        _ = model.forward(tokens)
        model.backward(r.dlogits, accumulate: true)
        let twice = model.store.grads.array
        XCTAssertLessThan(maxAbsDiff(twice, grads.map { 2 * $0 }).value, 1e-5, "accumulate adds the same gradient")
    }

    func testHeadsMustDivideDim() {
        XCTAssertThrowsError(try GPT(GPTConfig(layers: 1, heads: 3, dim: 8, context: 4))) {
            XCTAssertEqual("\($0)", "model.heads: 3 heads do not divide dim 8")
        }
    }

    func testVectorExpAndTanh() {
        var worstExp: Float = 0, worstTanh: Float = 0
        var x: Float = -30
        while x < 30 {
            let v = FloatVector(repeating: x)
            worstExp = max(worstExp, abs(vexp(v)[0] - expf(x)) / expf(x))
            worstTanh = max(worstTanh, abs(vtanh(v)[0] - tanhf(x)))
            x += 0.0137
        }
        XCTAssertLessThan(worstExp, 4e-7)
        XCTAssertLessThan(worstTanh, 3e-7)
    }
}
