// Tests ShardLayout: chunks tile the buffer in order, differ in length by at most one, and the
// first count % n are the longer ones; odd counts and counts below the rank count included.
import Collectives
import XCTest

final class ShardLayoutTests: XCTestCase {
    func testChunksTileTheBufferForAwkwardCounts() {
        for n in 1 ... 7 {
            for count in [0, 1, 2, 3, 5, 6, 7, 13, 97, 1009, 1_000_003] {
                var next = 0
                for r in 0 ..< n {
                    let c = ShardLayout.chunk(r, count: count, ranks: n)
                    XCTAssertEqual(c.lowerBound, next, "chunk \(r) of \(count) over \(n)")
                    XCTAssertEqual(c.count, count / n + (r < count % n ? 1 : 0), "chunk \(r) of \(count) over \(n)")
                    XCTAssertEqual(ShardLayout(count: count, ranks: n).range(of: r), c)
                    next = c.upperBound
                }
                XCTAssertEqual(next, count, "chunks of \(count) over \(n) must end at the count")
            }
        }
    }

    func testExampleLayout() {
        let layout = ShardLayout(count: 10, ranks: 4)   // 3, 3, 2, 2
        XCTAssertEqual((0 ..< 4).map { layout.range(of: $0) }, [0 ..< 3, 3 ..< 6, 6 ..< 8, 8 ..< 10])
    }
}
