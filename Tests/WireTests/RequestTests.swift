// Tests: every request kind decodes into its own typed value with its fields (Request.swift), the
// `kill` push into Kill, replies and pushes are no requests, error codes are an enum that keeps a
// newer peer's unknown code, and the wire form of a typed value is the one it was decoded from.
import Foundation
import Wire
import XCTest

final class RequestTests: XCTestCase {
    func request(_ type: String, _ fields: String) -> Result<(Envelope, Request), Message> {
        MessageCodec.decodeRequest(Data((#"{"v":1,"type":"\#(type)","id":"r1","timeout_ms":500"# + (fields.isEmpty ? "" : "," + fields) + "}").utf8))
    }

    func typed(_ type: String, _ fields: String, file: StaticString = #filePath, line: UInt = #line) -> Request? {
        switch request(type, fields) {
        case let .success((e, r)):
            XCTAssertEqual(e, Envelope(kind: Message.Kind(rawValue: type)!, id: "r1", timeoutMs: 500), file: file, line: line)
            return r
        case let .failure(err):
            XCTFail("\(type) refused: \(err.message ?? "")", file: file, line: line)
            return nil
        }
    }

    func testEachKindDecodesIntoItsTypedValue() {
        let t = Request.Trainer(job: 7, rank: 1, attempt: 3)
        let cases: [(String, String, Request)] = [
            ("submit", #""spec":"name: x","priority":5"#, .submit(.init(spec: "name: x", priority: 5, waitForNodes: false))),
            ("status", #""job":"7""#, .status(.init(job: 7))),
            ("cancel", #""job":"7""#, .cancel(.init(job: 7))),
            ("list", #""state":"RUNNING","after":"40""#, .list(.init(state: .running, after: 40, limit: WireLimits.defaultListLimit))),
            ("logs", #""job":"7","rank":1,"offsets":[12]"#, .logs(.init(job: 7, rank: 1, offsets: [12]))),
            ("metrics", #""job":"7","after":"3","limit":10"#, .metrics(.init(job: 7, after: 3, limit: 10))),
            ("nodes", "", .nodes),
            ("register", #""node":"a","address":"10.0.0.2","slots":2"#,
             .register(.init(node: "a", host: "a", address: "10.0.0.2", slots: 2, processes: []))),
            ("heartbeat", #""node":"a","host":"h","address":"10.0.0.2","slots":2,"processes":[{"job":"7","rank":0,"pid":9}]"#,
             .agentHeartbeat(.init(node: "a", host: "h", address: "10.0.0.2", slots: 2, processes: [RankProcess(job: "7", rank: 0, pid: 9)]))),
            ("heartbeat", #""job":"7","rank":1,"attempt":3,"step":4,"done":true"#, .trainerHeartbeat(.init(from: t, step: 4, done: true))),
            ("worker-exit", #""node":"a","job":"7","rank":1,"pid":9"#, .workerExit(.init(node: "a", job: 7, rank: 1, pid: 9))),
            ("hello", #""job":"7","rank":1,"attempt":3,"world_size":2,"pid":9,"step":0"#, .hello(.init(from: t, worldSize: 2, pid: 9, step: 0))),
            ("progress", #""job":"7","rank":1,"attempt":3,"step":5,"loss":0.5,"samples_per_s":10"#,
             .progress(.init(from: t, step: 5, loss: 0.5, samplesPerS: 10, evaluation: nil))),
            ("progress", #""job":"7","rank":1,"attempt":3,"step":5,"evaluation":{"metric":"val_loss","value":1.5,"step":5}"#,
             .progress(.init(from: t, step: 5, loss: nil, samplesPerS: nil, evaluation: Evaluation(metric: "val_loss", value: 1.5, step: 5)))),
            ("checkpoint-committed", #""job":"7","rank":1,"attempt":3,"step":5,"path":"/c""#,
             .checkpointCommitted(.init(from: t, step: 5, path: "/c"))),
        ]
        for (type, fields, want) in cases { XCTAssertEqual(typed(type, fields), want, "\(type) \(fields)") }
    }

    func testRequiredFieldsAndNonRequests() {
        for (type, fields, missing) in [("progress", #""job":"7","rank":1,"attempt":3,"step":5"#, "loss"),
                                        ("progress", #""job":"7","rank":1,"attempt":3,"step":5,"loss":1"#, "samples_per_s"),
                                        ("heartbeat", #""job":"7","rank":1"#, "attempt"),
                                        ("heartbeat", #""node":"a","slots":1"#, "address")] {
            guard case let .failure(e) = request(type, fields) else { XCTFail("\(type) without \(missing) accepted"); continue }
            XCTAssertEqual(e.code, .badRequest)
            XCTAssertEqual(e.message, "\(type) needs the field \"\(missing)\"")
        }
        for type in ["ok", "kill"] {
            let fields = type == "kill" ? #""job":"7","signal":"TERM""# : ""
            guard case let .failure(e) = request(type, fields) else { XCTFail("\(type) taken as a request"); continue }
            XCTAssertEqual(e.message, "\(type) is not a request the coordinator accepts")
        }
        guard case let .failure(e) = request("progress", #""job":"7","rank":1,"attempt":3,"step":5,"evaluation":{"metric":"","value":1,"step":5}"#)
        else { return XCTFail("an empty metric name accepted") }
        XCTAssertTrue(e.message?.contains("evaluation.metric") == true, e.message ?? "")
    }

    func testKillRoundTrips() throws {
        let k = Kill(job: "7", ranks: [0, 2], signal: .term, graceMs: 1500)
        guard case let .success(m) = MessageCodec.decode(MessageCodec.encode(k.message)) else { return XCTFail("kill refused") }
        XCTAssertEqual(try Kill(m), k)
        var bare = Message(.kill); bare.job = "7"
        XCTAssertThrowsError(try Kill(bare)) { XCTAssertEqual(($0 as? Message)?.message, "kill needs the field \"signal\"") }
    }

    func testErrorCodesAreAnEnumThatKeepsUnknownCodes() throws {
        for code in ProtocolErrorCode.known { XCTAssertEqual(ProtocolErrorCode(rawValue: code.rawValue), code) }
        XCTAssertEqual(ProtocolErrorCode.staleAttempt.rawValue, "stale-attempt")
        let newer = Data(#"{"v":1,"type":"error","id":"r1","code":"rate-limited","message":"slow down"}"#.utf8)
        guard case let .success(m) = MessageCodec.decode(newer) else { return XCTFail("an error with a newer code refused") }
        XCTAssertEqual(m.code, .other("rate-limited"))
        XCTAssertEqual(String(decoding: MessageCodec.encode(m), as: UTF8.self).contains(#""code":"rate-limited""#), true)
        XCTAssertEqual(WireError.remote(code: m.code!, message: m.message!), .remote(code: .other("rate-limited"), message: "slow down"))
    }
}
