// Progress's ETA: steps left at the rate since the first step seen, as m:ss or h:mm:ss.
import Foundation
import Train
import XCTest

final class ProgressTests: XCTestCase {
    func testETAIsStepsLeftAtTheRateSinceTheFirstStep() {
        let t0 = Date(timeIntervalSince1970: 1000)
        // 10 steps in 5 s, 90 left: 45 s.
        XCTAssertEqual(Progress.eta(done: 11, total: 101, since: (1, t0), now: t0.addingTimeInterval(5)), "0:45")
        XCTAssertEqual(Progress.eta(done: 1, total: 101, since: (1, t0), now: t0), "--:--")  // no rate yet
        XCTAssertEqual(Progress.eta(done: 101, total: 101, since: (1, t0), now: t0.addingTimeInterval(9)), "0:00")
    }

    func testDurationIsMinutesSecondsOrHours() {
        XCTAssertEqual(Progress.duration(59.6), "1:00")
        XCTAssertEqual(Progress.duration(3725), "1:02:05")
    }
}
