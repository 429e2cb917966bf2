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
}
