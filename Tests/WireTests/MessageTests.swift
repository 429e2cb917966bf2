// Tests: MessageCodec: round trips, and every malformed frame becomes an error reply naming why.
import Foundation
import Wire
import XCTest

final class MessageTests: XCTestCase {
    func testRoundTripUsesSnakeCase() throws {
        var m = Message(.progress, id: "r1")
        m.job = "7"; m.rank = 0; m.attempt = 3; m.step = 12; m.loss = 0.5; m.samplesPerS = 1000
        let data = MessageCodec.encode(m)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"samples_per_s\""), text)
        XCTAssertTrue(text.contains("\"v\":1"), text)
        guard case let .success(back) = MessageCodec.decode(data) else { return XCTFail("decode failed") }
        XCTAssertEqual(back, m)
    }

    func code(_ s: String) -> ProtocolErrorCode? {
        if case let .failure(e) = MessageCodec.decode(Data(s.utf8)) { return e.code }
        return nil
    }

    func testMalformedInputsAreErrors() {
        XCTAssertEqual(code("not json"), .malformed)
        XCTAssertEqual(code("[1,2]"), .malformed)
        XCTAssertEqual(code(#"{"type":"status","id":"a"}"#), .malformed)
        XCTAssertEqual(code(#"{"v":2,"type":"status","id":"a"}"#), .badVersion)
        XCTAssertEqual(code(#"{"v":1,"type":"launch-missiles","id":"a"}"#), .unknownType)
        XCTAssertEqual(code(#"{"v":1,"type":"status","id":"a","rank":"x"}"#), .malformed)
        XCTAssertEqual(code(String(repeating: " ", count: WireProtocol.maxFrameBytes + 1)), .tooLarge)
    }

    func testErrorKeepsRequestID() {
        guard case let .failure(e) = MessageCodec.decode(Data(#"{"v":9,"type":"status","id":"abc"}"#.utf8)) else { return XCTFail() }
        XCTAssertEqual(e.id, "abc")
        XCTAssertTrue(e.message?.contains("9") ?? false, e.message ?? "")
    }

    func testJobStateMachine() {
        XCTAssertTrue(JobState.pending.canMove(to: .scheduled))
        XCTAssertTrue(JobState.running.canMove(to: .restarting))
        for t in JobState.allCases where t.isTerminal {
            for n in JobState.allCases { XCTAssertFalse(t.canMove(to: n), "\(t) → \(n)") }
        }
    }

    func testClientTimesOutInsteadOfHanging() {
        let c = RequestClient(endpoint: "tcp://127.0.0.1:1", timeoutMs: 200)
        let start = Date()
        XCTAssertThrowsError(try c.call(Message(.status))) { e in
            guard case WireError.timeout = e else { return XCTFail("\(e)") }
        }
        XCTAssertLessThan(Date().timeIntervalSince(start), 2)
    }
}
