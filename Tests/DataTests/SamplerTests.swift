import Data
import XCTest

final class SamplerTests: XCTestCase {
    func testRanksTakeDisjointSlicesCoveringTheEpoch() {
        for ranks in [1, 2, 3, 4] {
            let samplers = (0..<ranks).map { DistributedSampler(count: 103, rank: $0, ranks: ranks, batch: 5, seed: 7, dropLast: true) }
            let perm = samplers[0].permutation(epoch: 2)
            XCTAssertEqual(perm, samplers[ranks - 1].permutation(epoch: 2), "every rank computes the same permutation")
            var seen: [Int] = []
            for s in 0..<samplers[0].stepsPerEpoch { for sm in samplers { seen += sm.batchIndices(step: s, permutation: perm) } }
            XCTAssertEqual(Set(seen).count, seen.count, "no sample twice with dropLast, \(ranks) ranks")
            XCTAssertEqual(seen.count, (103 / (5 * ranks)) * 5 * ranks)
        }
    }

    func testWithoutDropLastEverySampleIsVisitedAndTheTailWraps() {
        let samplers = (0..<3).map { DistributedSampler(count: 50, rank: $0, ranks: 3, batch: 4, seed: 1) }
        XCTAssertEqual(samplers[0].stepsPerEpoch, 5)
        let perm = samplers[0].permutation(epoch: 0)
        var seen: [Int] = []
        for s in 0..<5 { for sm in samplers { let b = sm.batchIndices(step: s, permutation: perm); XCTAssertEqual(b.count, 4); seen += b } }
        XCTAssertEqual(Set(seen), Set(0..<50))
    }

    func testEpochsDifferAndSeedsReproduce() {
        let a = DistributedSampler(count: 1000, batch: 10, seed: 1), b = DistributedSampler(count: 1000, batch: 10, seed: 1)
        XCTAssertEqual(a.permutation(epoch: 3), b.permutation(epoch: 3))
        XCTAssertNotEqual(a.permutation(epoch: 3), a.permutation(epoch: 4))
    }
}
