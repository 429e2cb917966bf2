// EventLog's line: UTC timestamp with milliseconds, padded level, key=value fields with spaces
// quoted, and text from the network made printable (an escape sequence is written out, not sent).
import Foundation
import Wire
import XCTest

final class EventLogFormatTests: XCTestCase {
    func testLineFormatAndSanitising() {
        let at = Date(timeIntervalSince1970: 1_796_169_662.123)  // 2026-12-02T00:01:02.123Z
        XCTAssertEqual(EventLog.format(.info, "submit", ["job": "3", "name": "mnist", "detail": nil], at: at),
                       "2026-12-02T00:01:02.123Z info  submit job=3 name=mnist\n")
        XCTAssertEqual(EventLog.format(.warn, "node-lost", ["detail": "n1: no heartbeat"], at: at),
                       "2026-12-02T00:01:02.123Z warn  node-lost detail=\"n1: no heartbeat\"\n")
        let hostile = EventLog.format(.error, "kill", ["job": "x\u{1B}[2J\ny"], at: at)
        XCTAssertEqual(hostile, "2026-12-02T00:01:02.123Z error kill job=x\\u{1b}[2J\\u{a}y\n")
        XCTAssertFalse(hostile.dropLast().contains("\n"))
    }
}
