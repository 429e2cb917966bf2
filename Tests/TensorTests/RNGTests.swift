import Foundation
import Tensor
import XCTest

final class RNGTests: XCTestCase {
    func testSameSeedSameStreamAndSplitIsIndependentOfParentUse() {
        var a = RNG(seed: 42), b = RNG(seed: 42)
        XCTAssertEqual((0..<100).map { _ in a.next() }, (0..<100).map { _ in b.next() })
        let parent = RNG(seed: 9)
        var c1 = parent.split(1), c1again = parent.split(1), c2 = parent.split(2)
        let s1 = (0..<10).map { _ in c1.next() }
        XCTAssertEqual(s1, (0..<10).map { _ in c1again.next() })
        XCTAssertNotEqual(s1, (0..<10).map { _ in c2.next() })
    }

    func testUniformAndBelowStayInRangeAndPermutationIsAPermutation() {
        var r = RNG(seed: 3)
        for _ in 0..<10_000 {
            let u = r.uniform(); XCTAssert(u >= 0 && u < 1)
            let k = r.below(7); XCTAssert(k >= 0 && k < 7)
        }
        let p = r.permutation(1001)
        XCTAssertEqual(p.sorted(), Array(0..<1001))
        XCTAssertNotEqual(p, Array(0..<1001))
    }

    func testStateRoundTripsThroughWordsAndJSON() throws {
        var r = RNG(seed: 5)
        _ = r.next()
        var copy = RNG(words: r.words)
        XCTAssertEqual(r.next(), copy.next())
        let json = try JSONEncoder().encode(r)
        var decoded = try JSONDecoder().decode(RNG.self, from: json)
        XCTAssertEqual(decoded.next(), r.next())
        XCTAssertThrowsError(try JSONDecoder().decode(RNG.self, from: Data("[1,2]".utf8)))
    }

    func testNormalHasUnitVariance() {
        var r = RNG(seed: 11)
        let xs = (0..<20_000).map { _ in Double(r.normal()) }
        let mean = xs.reduce(0, +) / Double(xs.count)
        let variance = xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }
}
