// Tests: the decoder's field checks (MessageSchema.swift, WireLimits.swift): every required field of
// every type, the boundaries of every ranged field, canonical job ids, JSON nesting, and
// TerminalText's neutralising of escape sequences.
import Foundation
import Wire
import XCTest

final class MessageSchemaTests: XCTestCase {
    func decode(_ json: String) -> Result<Message, Message> { MessageCodec.decode(Data(json.utf8)) }

    func problem(_ json: String) -> (ProtocolErrorCode?, String)? {
        if case let .failure(e) = decode(json) { return (e.code, e.message ?? "") }
        return nil
    }

    /// A valid body of each request type, every required field set.
    static let valid: [String: String] = [
        "submit": #""spec":"name: x""#, "status": #""job":"1""#, "list": "", "logs": #""job":"1""#, "cancel": #""job":"1""#,
        "nodes": "", "metrics": #""job":"1""#, "register": #""node":"a","address":"127.0.0.1","slots":2"#,
        "worker-exit": #""node":"a","job":"1","rank":0,"pid":5"#,
        "hello": #""job":"1","rank":0,"attempt":1,"world_size":2,"pid":5,"step":0"#,
        "progress": #""job":"1","rank":0,"attempt":1,"step":3,"loss":0.5,"samples_per_s":10"#,
        "checkpoint-committed": #""job":"1","rank":0,"attempt":1,"step":3,"path":"/tmp/c""#,
        "kill": #""job":"1","signal":"KILL""#,
    ]

    func body(_ type: String, _ fields: String) -> String {
        #"{"v":1,"type":"\#(type)","id":"t""# + (fields.isEmpty ? "" : "," + fields) + "}"
    }

    func testEveryRequiredFieldIsRequiredByTheDecoder() {
        for (type, fields) in Self.valid {
            guard case .success = decode(body(type, fields)) else { return XCTFail("valid \(type) refused: \(body(type, fields))") }
            // Drop each field in turn: the decoder names it.
            let parts = fields.isEmpty ? [] : fields.split(separator: ",").map(String.init)
            for (i, part) in parts.enumerated() {
                let name = String(part.split(separator: ":")[0].dropFirst().dropLast())
                let without = parts.enumerated().filter { $0.offset != i }.map(\.element).joined(separator: ",")
                guard let (code, msg) = problem(body(type, without)) else { XCTFail("\(type) without \(name) accepted"); continue }
                XCTAssertEqual(code, .badRequest, "\(type) without \(name)")
                XCTAssertTrue(msg.contains("\"\(name)\""), "\(type) without \(name): \(msg)")
            }
        }
    }

    func testBoundariesOfRangedFields() {
        let cases: [(String, String, Bool)] = [
            ("register", #""node":"a","address":"h","slots":4096"#, true),
            ("register", #""node":"a","address":"h","slots":4097"#, false),
            ("register", #""node":"a","address":"h","slots":-1"#, false),
            ("register", #""node":"","address":"h","slots":1"#, false),
            ("register", #""node":"a","address":"","slots":1"#, false),
            ("register", #""node":"a\u001b[2J","address":"h","slots":1"#, false),
            ("register", #""node":"a b","address":"h h","slots":1"#, false),
            ("register", #""node":"\#(String(repeating: "n", count: 64))","address":"h","slots":1"#, true),
            ("register", #""node":"\#(String(repeating: "n", count: 65))","address":"h","slots":1"#, false),
            ("logs", #""job":"1","offsets":[0,9007199254740992]"#, true),
            ("logs", #""job":"1","offsets":[-1]"#, false),
            ("logs", #""job":"1","offsets":[9007199254740993]"#, false),
            ("logs", #""job":"1","rank":4095"#, true),
            ("logs", #""job":"1","rank":4096"#, false),
            ("logs", #""job":"1","rank":-1"#, false),
            ("status", #""job":"9223372036854775807""#, true),
            ("status", #""job":"9223372036854775808""#, false),
            ("status", #""job":"01""#, false),
            ("status", #""job":"+1""#, false),
            ("status", #""job":" 1""#, false),
            ("status", #""job":"0""#, false),
            ("status", #""job":"""#, false),
            ("list", #""limit":1000"#, true),
            ("list", #""limit":1001"#, false),
            ("list", #""limit":0"#, false),
            ("list", #""after":"00""#, false),
            ("submit", #""spec":"x","priority":1000000"#, true),
            ("submit", #""spec":"x","priority":1000001"#, false),
            ("progress", #""job":"1","rank":0,"attempt":0,"step":3,"loss":0.5,"samples_per_s":1"#, false),
            ("progress", #""job":"1","rank":0,"attempt":1,"step":-1,"loss":0.5,"samples_per_s":1"#, false),
            ("progress", #""job":"1","rank":0,"attempt":1,"step":1,"loss":0.5,"samples_per_s":-1"#, false),
            ("hello", #""job":"1","rank":0,"attempt":1,"world_size":0,"pid":5,"step":0"#, false),
            ("hello", #""job":"1","rank":0,"attempt":1,"world_size":1,"pid":0,"step":0"#, false),
            ("checkpoint-committed", #""job":"1","rank":0,"attempt":1,"step":3,"path":"""#, false),
            ("heartbeat", #""node":"a","address":"h","slots":1,"processes":[{"job":"1","rank":0,"pid":3}]"#, true),
            ("heartbeat", #""node":"a","address":"h","slots":1,"processes":[{"job":"01","rank":0,"pid":3}]"#, false),
            ("heartbeat", #""job":"1","rank":0,"attempt":1"#, true),
            ("heartbeat", #""job":"1","rank":0"#, false),
            ("status", #""job":"1","timeout_ms":0"#, false),
        ]
        for (type, fields, ok) in cases {
            let b = body(type, fields)
            switch decode(b) {
            case .success: XCTAssertTrue(ok, "accepted: \(b)")
            case let .failure(e):
                XCTAssertFalse(ok, "refused: \(b): \(e.message ?? "")")
                XCTAssertTrue([.badRequest, .malformed].contains(e.code), "\(b): \(String(describing: e.code))")
            }
        }
    }

    func testDeepJSONIsRefusedBeforeParsing() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        XCTAssertEqual(problem(#"{"v":1,"type":"status","id":"d","x":"# + deep + "}")?.0, .malformed)
        // Brackets inside strings do not count.
        XCTAssertNotNil(try? decode(body("submit", #""spec":"\#(String(repeating: "[", count: 100))""#)).get())
    }

    func testTerminalTextNeutralisesEscapes() {
        XCTAssertEqual(TerminalText.line("ok\u{1B}]0;pwned\u{07}\nx"), "ok\\u{1b}]0;pwned\\u{7}\\u{a}x")
        XCTAssertEqual(TerminalText.line("naïve ✓"), "naïve ✓")
        XCTAssertEqual(TerminalText.logs("a\u{1B}[31mred\r\u{1B}[2Kbar\n"), "a[31mred\r\u{1B}[2Kbar\n")
        XCTAssertFalse(TerminalText.isPrintable("a\u{202E}b"))
    }
}
