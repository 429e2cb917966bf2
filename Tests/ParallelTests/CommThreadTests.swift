import Parallel
import XCTest

final class CommThreadTests: XCTestCase {
    struct Boom: Error {}

    func testRunsInOrderOffTheCallingThreadAndRethrowsOnce() throws {
        let t = CommThread()
        var order: [Int] = []
        for i in 0..<100 { t.async { order.append(i) } }
        try t.drain()
        XCTAssertEqual(order, Array(0..<100))
        XCTAssertFalse(try t.sync { Thread.isMainThread })
        t.async { throw Boom() }
        t.async { order.append(-1) }   // skipped: the communicator is unusable after a failure
        XCTAssertThrowsError(try t.drain()) { XCTAssertTrue($0 is Boom) }
        XCTAssertFalse(order.contains(-1))
        t.stop()
    }
}
