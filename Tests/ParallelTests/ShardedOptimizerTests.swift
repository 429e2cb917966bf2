// ShardedOptimizer: owned ranges are cut at tensor boundaries where weight decay switches, the
// undecayed pieces get weight decay 0, and the packed offsets follow the owned ranges.
import NN
import Parallel
import XCTest

final class ShardedOptimizerTests: XCTestCase {
    func testRangesAreCutWhereWeightDecaySwitches() {
        var layout = ParameterLayout()
        _ = layout.add("0.weight", [3, 4])   // 0..<12, decays
        _ = layout.add("0.bias", [3])        // 12..<15
        _ = layout.add("1.weight", [2, 3])   // 15..<21, decays
        _ = layout.add("1.bias", [2])        // 21..<23
        let kind = OptimizerKind.adam(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, decoupled: true)
        let s = ShardedOptimizer(owned: [10 ..< 23, 0 ..< 0, 0 ..< 5], layout: layout, kind: kind, learningRate: 1e-3,
                                 noDecay: { $0.shape.count < 2 })
        XCTAssertEqual(s.optimizers.map(\.range), [10 ..< 12, 12 ..< 15, 15 ..< 21, 21 ..< 23, 0 ..< 5])
        XCTAssertEqual(s.optimizers.map { ($0.optimizer as! Adam).weightDecay }, [0.1, 0, 0.1, 0, 0.1])
        XCTAssertEqual(s.packedOffsets, [0, 13, 13])
        XCTAssertEqual(s.packedCount, 18)
        let all = ShardedOptimizer(owned: [0 ..< 23], layout: layout, kind: kind, learningRate: 1e-3, noDecay: { _ in false })
        XCTAssertEqual(all.optimizers.map(\.range), [0 ..< 23], "no cut where decay does not switch")
    }

    func testSumOfSquaresIsExactForSmallIntegers() {
        let values = (0..<37).map { Float($0 % 7) - 3 }
        let want = values.reduce(0.0) { $0 + Double($1) * Double($1) }
        var layout = ParameterLayout()
        _ = layout.add("w", [37])
        let s = ShardedOptimizer(owned: [0 ..< 37], layout: layout, kind: .sgd(momentum: 0, weightDecay: 0), learningRate: 1, noDecay: { _ in false })
        values.withUnsafeBufferPointer { XCTAssertEqual(s.sumOfSquares(group: 0, grads: $0.baseAddress!), want) }
    }
}
