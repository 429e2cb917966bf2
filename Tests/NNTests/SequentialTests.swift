// Sequential's backward order: every layer's input gradient, then (only for layers with
// parameters) beforeGrads(i) strictly before the layer writes any parameter gradient, then
// layerDone(i); last layer first. Data-parallel code relies on this to reuse gradient memory.
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
}
