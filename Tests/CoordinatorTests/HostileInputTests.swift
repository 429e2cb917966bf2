// Tests: regressions for requests that used to crash, stall or mislead the coordinator: log
// offsets out of range, deep or alias-expanding YAML, unknown spec keys, empty node names and
// missing addresses, non-canonical job ids, names with escape sequences, abandoned requests.
import Coordinator
import Foundation
import Wire
import XCTest

final class HostileInputTests: XCTestCase {
    var cluster: TestCluster!
    var client: CoordinatorClient!

    override func setUpWithError() throws {
        cluster = try TestCluster(name: "hostile")
        client = try cluster.start()
    }

    override func tearDown() { cluster.shutdown() }

    func rejected(_ m: Message, _ code: ProtocolErrorCode, _ needle: String, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let r = try RequestClient(endpoint: cluster.endpoint, timeoutMs: 5000).exchange(m)
            XCTAssertEqual(r.code, code, r.message ?? "", file: file, line: line)
            XCTAssertTrue(r.message?.contains(needle) ?? false, "\(r.message ?? "nil") lacks \(needle)", file: file, line: line)
        } catch { XCTFail("no reply: \(error)", file: file, line: line) }
    }

    func testLogOffsetsOutOfRangeAreBadRequests() throws {
        let job = try client.submit(spec: cluster.spec("logs", ranks: 2))
        XCTAssertEqual(try client.wait(job.id, timeout: 20).state, .succeeded)
        var m = Message(.logs); m.job = job.id
        m.offsets = [-1, 0]; rejected(m, .badRequest, "\"offsets\"")          // was SIGILL
        m.offsets = [1 << 40, 0]; rejected(m, .badRequest, "past the end")     // was `internal` with NSError text
        m.offsets = [0, 0, 0]; rejected(m, .badRequest, "one per requested rank")  // was echoed back
        m.offsets = [0, 0]
        XCTAssertTrue(try RequestClient(endpoint: cluster.endpoint).call(m).text?.contains("[1] job \(job.id) rank 1 done") ?? false)
        XCTAssertEqual(try client.nodes().count, 2, "still serving")
    }

    func testDeepAndAliasedYAMLIsRefusedQuickly() throws {
        let body = TestCluster.body(ranks: 1)
        // 10 KB of nested flow sequences: overflowed the composer's stack.
        let deep = "name: deep\n" + body + "x: " + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5000) + "\n"
        // A few hundred bytes that expand to 10^9 nodes.
        var laughs = "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
        for (i, c) in "bcdefghi".enumerated() {
            let prev = Array("abcdefghi")[i]
            laughs += "\(c): &\(c) [" + Array(repeating: "*\(prev)", count: 10).joined(separator: ",") + "]\n"
        }
        for (spec, needle) in [(deep, "deeper than \(32) levels"), ("name: lol\n" + body + laughs, "aliases")] {
            let t0 = Date()
            XCTAssertThrowsError(try client.submit(spec: spec)) { XCTAssertTrue("\($0)".contains(needle), "\($0)") }
            XCTAssertLessThan(Date().timeIntervalSince(t0), 1.0, "refusing took too long")
        }
        // A moderate alias use is still fine for YAML, but not a key of the schema.
        XCTAssertThrowsError(try client.submit(spec: "name: x\n" + body + "extra: 1\n")) { XCTAssertTrue("\($0)".contains("unknown key 'extra'"), "\($0)") }
        XCTAssertEqual(try client.nodes().count, 2, "still serving")
    }

    func testRegisterNeedsANameAndAnAddress() throws {
        var m = Message(.register); m.node = ""; m.address = "127.0.0.1"; m.slots = 1
        rejected(m, .badRequest, "\"node\"")
        m.node = "x"; m.address = nil
        rejected(m, .badRequest, "\"address\"")
        m.node = "evil\u{1B}[2J"; m.address = "127.0.0.1"
        rejected(m, .badRequest, "control characters")
        XCTAssertEqual(try client.nodes().map(\.name), ["node-a", "node-b"])
    }

    func testJobIdsHaveOneSpelling() throws {
        let job = try client.submit(spec: cluster.spec("one", ranks: 1))
        XCTAssertEqual(job.id, "1")
        for bad in ["01", "+1", " 1", "1 ", "1.0", "0x1"] {
            var m = Message(.status); m.job = bad
            rejected(m, .badRequest, "\"job\"")
        }
        XCTAssertEqual(try client.status("1").name, "one")
    }

    func testNamesCannotCarryEscapesAndAreNeutralisedWhenPrinted() throws {
        XCTAssertThrowsError(try client.submit(spec: cluster.spec("evil\u{1B}]0;owned\u{07}\nline", ranks: 1))) {
            XCTAssertTrue("\($0)".contains("control characters"), "\($0)")
        }
        let j = JobInfo(id: "7", name: "x\u{1B}[2Jy", state: .running, ranks: 1, priority: 0, reason: "r\u{1B}[31m\nfake line", submittedAt: 0,
                        startedAt: nil, finishedAt: nil, exitCode: nil, attempts: 1, allocation: [], progress: nil, lastCheckpointStep: nil)
        for out in [TableFormat.jobs([j]), TableFormat.status(j)] {
            XCTAssertFalse(out.unicodeScalars.contains("\u{1B}"), out)
            XCTAssertEqual(out.split(separator: "\n").count, out == TableFormat.jobs([j]) ? 2 : 3, out)
        }
    }

    func testAbandonedRequestsAreNotExecuted() throws {
        // A submit that already waited longer than its requester would: not executed.
        var m = Message(.submit); m.spec = cluster.spec("late", ranks: 1); m.timeoutMs = 1
        let raw = try ZMQSocket(.dealer)
        try raw.connect(cluster.endpoint)
        // Hold the coordinator's loop busy with requests queued ahead, then the late one.
        var list = Message(.list)
        for _ in 0 ..< 200 { list.id = Message.newID(); try raw.send([Data(), MessageCodec.encode(list)], dontWait: false) }
        try raw.send([Data(), MessageCodec.encode(m)], dontWait: false)
        var expired = false
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, let frames = try raw.receive(timeoutMs: 1000) {
            if case let .success(r) = MessageCodec.decode(frames.last!, limit: 4 << 20), r.id == m.id { expired = r.code == .expired; break }
        }
        XCTAssertTrue(expired, "the late submit was executed")
        XCTAssertFalse(try client.list().contains { $0.name == "late" })
    }
}
