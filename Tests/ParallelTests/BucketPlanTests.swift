import Collectives
import Parallel
import XCTest

final class BucketPlanTests: XCTestCase {
    // Layers: flatten (no params), 0..<100, 100..<130, none, 130..<131.
    let ranges = [0 ..< 0, 0 ..< 100, 100 ..< 130, 130 ..< 130, 130 ..< 131]

    func testBucketsFormLastLayerFirstAndNeverSplitALayer() {
        let plan = BucketPlan(layerRanges: ranges, bucketBytes: 31 * 4)
        XCTAssertEqual(plan.buckets.map(\.range), [100 ..< 131, 0 ..< 100])
        XCTAssertEqual(plan.buckets.map(\.triggerLayer), [2, 1])
        XCTAssertEqual(plan.ready(afterLayer: 2), [0])
        XCTAssertEqual(plan.ready(afterLayer: 4), [])
        let one = BucketPlan(layerRanges: ranges, bucketBytes: 1 << 30)
        XCTAssertEqual(one.buckets.map(\.range), [0 ..< 131])
        let each = BucketPlan(layerRanges: ranges, bucketBytes: 1)
        XCTAssertEqual(each.buckets.map(\.range), [130 ..< 131, 100 ..< 130, 0 ..< 100])
    }

    func testZeroLayoutGivesEveryElementToExactlyOneRank() {
        let plan = BucketPlan(layerRanges: ranges, bucketBytes: 4)
        for n in 1...5 {
            let z = ZeroLayout(plan: plan, ranks: n)
            var seen = [Int](repeating: 0, count: 131)
            for r in 0..<n { for range in z.owned(by: r) { for i in range { seen[i] += 1 } } }
            XCTAssertEqual(seen, [Int](repeating: 1, count: 131), "\(n) ranks")
            XCTAssertEqual((0..<n).map { z.ownedCount(by: $0) }.reduce(0, +), 131)
            XCTAssertLessThanOrEqual((0..<n).map { z.ownedCount(by: $0) }.max()! - (0..<n).map { z.ownedCount(by: $0) }.min()!, plan.buckets.count)
        }
    }

    func testCutsLetABucketEndInsideALayerAndTheLowestPieceTriggersIt() {
        // Layer 1 (0..<100) may be cut at 30 and 60, layer 2 (100..<130) at 110.
        let cuts = [[], [30, 60], [110], [], []]
        let plan = BucketPlan(layerRanges: ranges, bucketBytes: 25 * 4, cuts: cuts)
        XCTAssertEqual(plan.buckets.map(\.range), [100 ..< 131, 60 ..< 100, 30 ..< 60, 0 ..< 30])
        XCTAssertEqual(plan.buckets.map(\.triggerLayer), [2, 1, 1, 1])
        XCTAssertEqual(plan.buckets.map(\.triggerPiece), [1, 0, 1, 2])
        XCTAssertEqual(plan.ready(afterLayer: 1, piece: 1), [2])
        XCTAssertEqual(plan.ready(afterLayer: 2, piece: 0), [])
        XCTAssertEqual(plan.bucketsOfLayer, [[], [1, 2, 3], [0], [], [0]])
        let each = BucketPlan(layerRanges: ranges, bucketBytes: 1, cuts: cuts)
        XCTAssertEqual(each.buckets.map(\.range), [130 ..< 131, 110 ..< 130, 100 ..< 110, 60 ..< 100, 30 ..< 60, 0 ..< 30])
        XCTAssertEqual(BucketPlan(layerRanges: ranges, bucketBytes: 31 * 4, cuts: ranges.map { _ in [] }),
                       BucketPlan(layerRanges: ranges, bucketBytes: 31 * 4))
    }
}
