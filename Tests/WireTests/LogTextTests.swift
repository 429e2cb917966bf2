// LogText: rank prefixes on every line and every redraw, and plain whole lines for a pipe.
import Wire
import XCTest

final class LogTextTests: XCTestCase {
    let e = "\u{1B}[2K"

    func testPrefixedMarksEveryLineAndEveryRedraw() {
        XCTAssertEqual(LogText.prefixed("a\nb\n", "[0] "), "[0] a\n[0] b\n")
        XCTAssertEqual(LogText.prefixed("", "[0] "), "")
        XCTAssertEqual(LogText.prefixed("a\n\r\(e)bar 1\r\(e)bar 2", "[1] "), "[1] a\n\r\(e)[1] bar 1\r\(e)[1] bar 2")
        // A chunk that starts with the next redraw, and a CRLF ending (no prefix after its "\r").
        XCTAssertEqual(LogText.prefixed("\r\(e)done\nx\r\n", "[0] "), "\r\(e)[0] done\n[0] x\r\n")
    }

    func testPlainKeepsWhatEachLineEndedAsAndDropsAnUnendedRedraw() {
        XCTAssertEqual(LogText.plain("[0] a\n\r\(e)[0] bar 1\r\(e)[0] bar 2"), "[0] a\n")
        XCTAssertEqual(LogText.plain("\r\(e)[0] bar 3\r\(e)[0] epoch done\nnext\n"), "[0] epoch done\nnext\n")
        XCTAssertEqual(LogText.plain("crlf\r\n"), "crlf\n")
        XCTAssertEqual(LogText.plain("no newline yet"), "no newline yet")
    }

    func testLinesGivesEachLinesLastRedrawTheUnendedOneIncluded() {
        XCTAssertEqual(LogText.lines("a\n\r\(e)bar 1\r\(e)bar 2"), ["a", "bar 2"])
    }

    func testPendingRedrawIsTheMovingBarOnly() {
        XCTAssertEqual(LogText.pendingRedraw("a\n\r\(e)[0] bar 1\r\(e)[0] bar 2"), "[0] bar 2")
        XCTAssertNil(LogText.pendingRedraw("a\n\r\(e)[0] done\n"))
        XCTAssertNil(LogText.pendingRedraw("plain"))
    }
}
