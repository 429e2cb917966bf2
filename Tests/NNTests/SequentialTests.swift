// Sequential's backward order: every layer's input gradient, then (only for layers with
// parameters) beforeGrads(i) strictly before the layer writes any parameter gradient, then
// layerDone(i); last layer first. Data-parallel code relies on this to reuse gradient memory.
// A layer that allows it (Linear) writes its parameter gradients before its input gradient, and
// the bits are those of the other order. Gradients written in pieces (Linear's weight rows, cut
// by `gradientCuts`) are the whole layer's, and each piece is reported as soon as it is final.
import NN
import Tensor
import XCTest

final class SequentialTests: XCTestCase {
    func testBeforeGradsComesBeforeAnyGradientWriteAndOnlyForLayersWithParameters() {
        let model = Sequential([Conv2d(1, 2, kernel: 3, padding: 1), ReLU(), MaxPool2d(2), Flatten(), Linear(2 * 3 * 3, 4, relu: true), Linear(4, 3)],
                               inputShape: [1, 7, 7])
        model.initialize(seed: 5)
        var rng = RNG(seed: 6)
        let x = Tensor((0..<(2 * 49)).map { _ in rng.normal() }, shape: [2, 1, 7, 7])
        let dy = Tensor((0..<6).map { _ in rng.normal() }, shape: [2, 3])
        _ = model.forward(x)
        let g = model.store.grads.pointer, sentinel: Float = 7.25
        for i in 0..<model.store.grads.count { g[i] = sentinel }
        var events: [String] = []
        model.backward(dy, accumulate: false, beforeGrads: { i in
            let r = model.layerRanges[i]
            XCTAssertFalse(r.isEmpty, "beforeGrads(\(i)) for a layer without parameters")
            XCTAssertTrue(r.allSatisfy { g[$0] == sentinel }, "layer \(i) wrote a parameter gradient before beforeGrads")
            events.append("before \(i)")
        }, layerDone: { i in
            let r = model.layerRanges[i]
            XCTAssertTrue(r.allSatisfy { g[$0] != sentinel }, "layer \(i) is done but left gradients unwritten")
            events.append("done \(i)")
        })
        XCTAssertEqual(events, ["before 5", "done 5", "before 4", "done 4", "done 3", "done 2", "done 1", "before 0", "done 0"])
    }

    func testParameterGradientsFirstGivesTheSameBitsAsInputGradientFirst() {
        func gradients(first: Bool, accumulate: Bool) -> [Float] {
            let model = Sequential([Conv2d(1, 2, kernel: 3, padding: 1), ReLU(), Flatten(), Linear(2 * 49, 5, relu: true),
                                    Linear(5, 4, relu: true), Linear(4, 3)], inputShape: [1, 7, 7])
            model.initialize(seed: 11)
            model.parameterGradientsFirst = first
            var rng = RNG(seed: 12)
            for step in 0..<2 {   // the second pass adds to the first (accumulation)
                let x = Tensor((0..<(3 * 49)).map { _ in rng.normal() }, shape: [3, 1, 7, 7])
                let dy = Tensor((0..<9).map { _ in rng.normal() }, shape: [3, 3])
                _ = model.forward(x)
                model.backward(dy, accumulate: accumulate && step == 1, beforeGrads: nil, layerDone: nil)
            }
            return Array(UnsafeBufferPointer(start: model.store.grads.pointer, count: model.store.grads.count))
        }
        for accumulate in [false, true] {
            let a = gradients(first: true, accumulate: accumulate), b = gradients(first: false, accumulate: accumulate)
            let differ = zip(a, b).enumerated().first { $0.element.0.bitPattern != $0.element.1.bitPattern }
            XCTAssertNil(differ, "accumulate \(accumulate): element \(differ?.offset ?? -1) differs")
            XCTAssertTrue(a.contains { $0 != 0 })
        }
    }

    func testGradientsInPiecesEqualWholeLayersAndEachPieceIsFinalWhenReported() {
        func run(pieces: Bool, accumulate: Bool) -> (grads: [Float], order: [String]) {
            // Odd sizes: 7 rows of 13 inputs cut every 3 rows (39 floats), 11 rows of 7 every 5
            // (35 floats, from 7·13 + 7 = 98); each layer's bias rides in its top piece.
            let model = Sequential([Flatten(), Linear(13, 7, relu: true), Linear(7, 11)], inputShape: [13])
            model.initialize(seed: 21)
            let cuts = pieces ? model.gradientCuts(maxElements: 40) : model.layerRanges.map { _ in [] }
            if pieces { XCTAssertEqual(cuts, [[], [39, 78], [98 + 35, 98 + 70]]) }
            var rng = RNG(seed: 22)
            let g = model.store.grads.pointer, sentinel: Float = 7.25
            var order: [String] = []
            for step in 0..<2 {
                let x = Tensor((0..<(3 * 13)).map { _ in rng.normal() }, shape: [3, 13])
                let dy = Tensor((0..<33).map { _ in rng.normal() }, shape: [3, 11])
                _ = model.forward(x)
                if step == 0 { for i in 0..<model.store.grads.count { g[i] = sentinel } }
                model.backward(dy, accumulate: accumulate && step == 1, cuts: cuts, beforeGrads: nil, pieceDone: { u, k in
                    let r = model.layerRanges[u], bounds = [r.lowerBound] + cuts[u] + [r.upperBound]
                    let piece = bounds[bounds.count - 2 - k] ..< bounds[bounds.count - 1 - k]
                    XCTAssertTrue(piece.allSatisfy { g[$0] != sentinel }, "layer \(u) piece \(k) reported before it was written")
                    if step == 0 { order.append("\(u).\(k)") }
                }, layerDone: nil)
            }
            return (Array(UnsafeBufferPointer(start: g, count: model.store.grads.count)), order)
        }
        for accumulate in [false, true] {
            let a = run(pieces: true, accumulate: accumulate), b = run(pieces: false, accumulate: accumulate)
            XCTAssertEqual(a.order, ["2.0", "2.1", "2.2", "1.0", "1.1", "1.2"])
            XCTAssertEqual(b.order, ["2.0", "1.0"])
            let worst = zip(a.grads, b.grads).map { abs($0 - $1) / max(abs($1), 1) }.enumerated().max { $0.element < $1.element }!
            XCTAssertLessThanOrEqual(worst.element, 1e-6, "accumulate \(accumulate): element \(worst.offset) differs by \(worst.element)")
            XCTAssertFalse(a.grads.contains(7.25))
        }
    }
}
