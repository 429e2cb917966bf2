// Tests: bad input gets a clear error reply and the coordinator keeps serving: malformed JSON,
// unknown type, wrong version, oversized frame, bad envelope, unknown job, a spec larger than the
// cluster, a full queue, and 10,000 random frames.
import Coordinator
import Foundation
import Wire
import XCTest

final class BadInputTests: XCTestCase {
    var cluster: TestCluster!
    var raw: ZMQSocket!

    override func setUpWithError() throws {
        cluster = try TestCluster(name: "bad")
        try cluster.startCoordinator()
        raw = try ZMQSocket(.dealer)
        try raw.connect(cluster.endpoint)
    }

    override func tearDown() { raw = nil; cluster.shutdown() }

    /// Sends raw frames; returns the decoded error reply (or any reply).
    func exchange(_ frames: [Data]) throws -> Message? {
        try raw.send(frames, dontWait: false)
        guard let reply = try raw.receive(timeoutMs: 3000), let body = reply.last else { return nil }
        switch MessageCodec.decode(body) { case let .success(m): return m; case let .failure(e): return e }
    }

    func errorCode(_ body: String) throws -> (ProtocolErrorCode?, String) {
        let m = try exchange([Data(), Data(body.utf8)])
        XCTAssertEqual(m?.type, .error, body)
        return (m?.code, m?.message ?? "")
    }

    func assertStillServing(file: StaticString = #filePath, line: UInt = #line) throws {
        let nodes = try CoordinatorClient(endpoint: cluster.endpoint, timeoutMs: 3000).nodes()
        XCTAssertEqual(nodes.count, 0, file: file, line: line)
    }

    func testEachBadRequestGetsAClearError() throws {
        var (code, msg) = try errorCode("{not json")
        XCTAssertEqual(code, .malformed); XCTAssertTrue(msg.contains("JSON"), msg)
        (code, msg) = try errorCode(#"{"v":1,"type":"frobnicate","id":"x"}"#)
        XCTAssertEqual(code, .unknownType); XCTAssertTrue(msg.contains("frobnicate"), msg)
        (code, msg) = try errorCode(#"{"v":7,"type":"status","id":"x"}"#)
        XCTAssertEqual(code, .badVersion); XCTAssertTrue(msg.contains("7"), msg)
        (code, msg) = try errorCode(#"{"v":1,"type":"status","id":"x","job":"424242"}"#)
        XCTAssertEqual(code, .unknownJob); XCTAssertTrue(msg.contains("424242"), msg)
        (code, msg) = try errorCode(#"{"v":1,"type":"status","id":"x","job":"abc"}"#)
        XCTAssertEqual(code, .badRequest); XCTAssertTrue(msg.contains("abc") && msg.contains("\"job\""), msg)
        (code, msg) = try errorCode(#"{"v":1,"type":"status","id":"x"}"#)
        XCTAssertEqual(code, .badRequest)
        (code, msg) = try errorCode(#"{"v":1,"type":"kill","id":"x"}"#)
        XCTAssertEqual(code, .badRequest)
        (code, msg) = try errorCode(String(repeating: "x", count: WireProtocol.maxFrameBytes + 10))
        XCTAssertEqual(code, .tooLarge); XCTAssertTrue(msg.contains("\(WireProtocol.maxFrameBytes)"), msg)
        let envelope = try exchange([Data("a".utf8), Data("b".utf8), Data("c".utf8)])
        XCTAssertEqual(envelope?.code, .malformed)
        try assertStillServing()
    }

    func testSpecsAreCheckedAndOversizedJobsRejected() throws {
        let client = CoordinatorClient(endpoint: cluster.endpoint)
        cluster.startAgents()
        try cluster.waitForNodes(2, client: client)
        func rejected(_ spec: String, _ needle: String, wait: Bool = false) {
            XCTAssertThrowsError(try client.submit(spec: spec, waitForNodes: wait)) { e in
                XCTAssertTrue("\(e)".contains(needle), "\(e)")
            }
        }
        let body = TestCluster.body(ranks: 1)
        rejected(body.replacingOccurrences(of: "parallel: {ranks: 1}\n", with: "") + "name: x\n", "parallel.ranks is missing")
        rejected(body.replacingOccurrences(of: "ranks: 1", with: "ranks: zero") + "name: x\n", "parallel.ranks: expected an integer")
        rejected(body.replacingOccurrences(of: "ranks: 1", with: "ranks: 0") + "name: x\n", "parallel.ranks: must be at least 1, got 0")
        rejected(": : :\n  - [", "not valid YAML")
        rejected(body, "missing key 'name'")
        rejected(TestCluster.body(ranks: 9) + "name: big\n", "needs 9 slots but the cluster has 4 slot(s) on 2 live node(s)")
        // The trainer's keys are checked here too: an unknown one is refused by name, not launched.
        rejected(body + "name: typo\ntest_sleep: 0\n", "unknown key 'test_sleep'")
        rejected(body.replacingOccurrences(of: "kind: mlp", with: "kind: whatever") + "name: m\n", "model.kind")
        // --wait-for-nodes queues it, and it explains why it waits without blocking others.
        let big = try client.submit(spec: cluster.spec("big", ranks: 9), waitForNodes: true)
        XCTAssertEqual(big.state, .pending)
        XCTAssertTrue(try client.status(big.id).reason?.contains("waiting for nodes") ?? false)
        let small = try client.submit(spec: cluster.spec("small", ranks: 1))
        XCTAssertEqual(try client.wait(small.id, timeout: 20).state, .succeeded)
        XCTAssertEqual(try client.cancel(big.id).state, .cancelled)
    }

    func testTenThousandRandomFramesDoNotStopIt() throws {
        var rng = SystemRandomNumberGenerator()
        let pieces = ["{", "}", "\"v\":1", "\"v\":", "\"type\":\"status\"", "\"type\":\"submit\"", "\"id\":\"r\"", ",", "\"job\":", "null", "[", "]",
                      "\"spec\":\"name: x\"", "\"rank\":-1", "1e999", "\"offsets\":[-5]", "\"slots\":-3", "\"node\":\"n\"", "\"type\":\"register\""]
        var replies = 0
        for i in 0 ..< 10_000 {
            var frames: [Data] = []
            switch i % 4 {
            case 0: frames = [Data(), Data((0 ..< Int.random(in: 0 ... 64, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) })]
            case 1: frames = [Data(), Data((0 ..< Int.random(in: 1 ... 8, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined().utf8)]
            case 2: frames = [Data(), Data(("{" + (0 ..< Int.random(in: 1 ... 5, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined(separator: ",") + "}").utf8)]
            default: frames = (0 ..< Int.random(in: 1 ... 4, using: &rng)).map { _ in Data((0 ..< Int.random(in: 0 ... 8, using: &rng)).map { _ in UInt8.random(in: 0 ... 255, using: &rng) }) }
            }
            try raw.send(frames, dontWait: false)
            // Drain whatever came back so far (every valid envelope gets one reply).
            while let r = try raw.receive(timeoutMs: 0) { _ = r; replies += 1 }
        }
        while let r = try raw.receive(timeoutMs: 500) { _ = r; replies += 1 }
        print("random frames: 10000 sent, \(replies) replies")
        XCTAssertGreaterThan(replies, 5000)
        try assertStillServing()
    }

    /// A full queue refuses the next submit and writes nothing; a job ending makes room again.
    func testAFullQueueRefusesSubmitsAndRecordsNothing() throws {
        cluster.coordinator?.stop()
        var c = cluster.config()
        c.maxQueuedJobs = 2
        let coordinator = try Coordinator(config: c)
        try coordinator.start()
        defer { coordinator.stop() }
        let client = CoordinatorClient(endpoint: coordinator.endpoint)
        let first = try client.submit(spec: cluster.spec("q1", ranks: 9), waitForNodes: true)
        _ = try client.submit(spec: cluster.spec("q2", ranks: 9), waitForNodes: true)
        XCTAssertThrowsError(try client.submit(spec: cluster.spec("q3", ranks: 9), waitForNodes: true)) { e in
            guard case let ClientError.rejected(code, message) = e else { return XCTFail("\(e)") }
            XCTAssertEqual(code, .unschedulable)
            XCTAssertEqual(message, "queue is full: 2 unfinished jobs (max_queued_jobs 2)")
        }
        XCTAssertEqual(try client.listPage().total, 2)
        _ = try client.cancel(first.id)
        XCTAssertEqual(try client.submit(spec: cluster.spec("q4", ranks: 9), waitForNodes: true).name, "q4")
        XCTAssertEqual(try client.listPage(state: .pending).total, 2)
    }
}
