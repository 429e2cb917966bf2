// Tests: the CURVE control plane over real loopback sockets: authorized keys get replies; no key,
// an unlisted key and plain-text bytes get none and do not stop the coordinator; authorized_keys
// is re-read (add, revoke) without a restart; an agent and a trainer with keys get through; ranks
// get the worker key, never the coordinator's secret; bad key files and binds are named errors.
import Coordinator
import Foundation
import Wire
import XCTest

final class CurveTests: XCTestCase {
    var f: CurveFixture!

    override func setUpWithError() throws { f = try CurveFixture(name: "curve") }
    override func tearDown() { f.shutdown() }

    func testAuthorizedClientGetsReplies() throws {
        try f.start()
        XCTAssertEqual(try f.client(f.alice).nodes().count, 0)
        XCTAssertEqual(f.cluster.coordinator?.curvePublicKey, f.server.publicKey)
    }

    func testClientWithoutKeyIsRefused() throws {
        try f.start()
        let text = f.assertRefused(nil)
        XCTAssertTrue(text.contains(f.cluster.endpoint) && text.contains("CURVE"), text)
        XCTAssertEqual(try f.client(f.alice).nodes().count, 0)
    }

    func testUnlistedKeyIsRefusedPromptlyAndRecorded() throws {
        try f.start()
        let start = Date()
        let text = f.assertRefused(f.mallory)
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.9, "a refusal should not wait for the timeout")
        XCTAssertTrue(text.contains("refused our CURVE key (not in its authorized keys)"), text)
        f.assertRefused(f.mallory)  // reported once a minute at most
        let events = try f.cluster.coordinator!.events(kind: "auth-refused")
        XCTAssertEqual(events.count, 1, "\(events)")
        XCTAssertTrue(events.first?.hasPrefix("\(f.mallory.publicKey) from 127.0.0.1") ?? false, "\(events)")
        // A wrong server key: the handshake breaks off.
        XCTAssertThrowsError(try CoordinatorClient(endpoint: f.cluster.endpoint, timeoutMs: 600, curve: f.keys(f.alice, server: f.mallory)).nodes()) {
            XCTAssertTrue("\($0)".contains("is the server key its public key?"), "\($0)")
        }
        XCTAssertEqual(try f.client(f.alice).nodes().count, 0)
    }

    func testPlainTextBytesAndPlainZMQGetNoReply() throws {
        let endpoint = try f.start()
        let port = UInt16(endpoint.split(separator: ":").last!)!
        // Raw TCP: whatever the coordinator sends is its ZMTP greeting, never a message.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET); addr.sin_port = port.bigEndian; addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(rc, 0)
        var tv = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let garbage = #"GET / HTTP/1.0\#r\#n{"v":1,"type":"nodes","id":"x"}"# + String(repeating: "\u{1}garbage", count: 200)
        _ = garbage.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var received = Data(), buf = [UInt8](repeating: 0, count: 4096)
        while true { let n = read(fd, &buf, buf.count); if n <= 0 { break }; received.append(contentsOf: buf[0 ..< n]) }
        XCTAssertLessThanOrEqual(received.count, 64, "more than a ZMTP greeting came back")
        XCTAssertFalse(String(decoding: received, as: UTF8.self).contains("\"type\""))
        // A plain ZeroMQ DEALER (NULL mechanism): no reply.
        let plain = try ZMQSocket(.dealer)
        try plain.connect(endpoint)
        try plain.send([Data(), Data(#"{"v":1,"type":"nodes","id":"p"}"#.utf8)], dontWait: false)
        XCTAssertNil(try plain.receive(timeoutMs: 700))
        XCTAssertEqual(try f.client(f.alice).nodes().count, 0, "still serving authorized clients")
    }

    func testAddingAKeyAdmitsItAndRevokingRefusesNewConnections() throws {
        try f.start()
        f.assertRefused(f.mallory)
        try f.authorize([f.alice, f.worker, f.mallory])
        XCTAssertEqual(try f.client(f.mallory).nodes().count, 0, "added without a restart")
        let connected = f.client(f.alice)
        XCTAssertEqual(try connected.nodes().count, 0)
        try f.authorize([f.worker, f.mallory])
        let text = f.assertRefused(f.alice)
        XCTAssertTrue(text.contains("refused our CURVE key"), text)
        // ZAP runs at the handshake: a connection made before the revocation lives on (docs/protocol.md).
        XCTAssertEqual(try connected.nodes().count, 0)
        // A list that turns malformed refuses everyone until it is fixed.
        try "not a key\n".write(toFile: f.authorizedKeys, atomically: true, encoding: .utf8)
        XCTAssertTrue(f.assertRefused(f.mallory).contains("could not check our CURVE key"))
        try f.authorize([f.mallory])
        XCTAssertEqual(try f.client(f.mallory).nodes().count, 0)
    }

    func testAgentWithAuthorizedKeyRegisters() throws {
        try f.start()
        let good = Agent(name: "keyed", slots: 2, coordinator: f.cluster.endpoint, heartbeatIntervalMs: 200, curve: f.keys(f.alice))
        let bad = Agent(name: "unkeyed", slots: 2, coordinator: f.cluster.endpoint, heartbeatIntervalMs: 200, curve: f.keys(f.mallory))
        f.cluster.agents += [good, bad]
        good.start(); bad.start()
        let client = f.client(f.alice)
        try f.cluster.waitForNodes(1, client: client)
        // The unkeyed agent has tried (its refusal is recorded) and is still not a node.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, (try f.cluster.coordinator?.events(kind: "auth-refused").isEmpty) ?? true { usleep(20_000) }
        XCTAssertFalse(try f.cluster.coordinator?.events(kind: "auth-refused").isEmpty ?? true, "the unkeyed agent was never refused")
        XCTAssertEqual(try client.nodes().map(\.name), ["keyed"])
        XCTAssertEqual(try client.nodes().first?.live, true)
        // Authorizing the refused agent's key lets it in on its next attempt, without restarts.
        try f.authorize([f.alice, f.worker, f.mallory])
        try f.cluster.waitForNodes(2, client: client)
    }

    func testRanksGetTheWorkerKeyAndTrainersReportWithIt() throws {
        // A worker program that records the key variables it was started with.
        let program = f.dir + "/env-worker.sh"
        try TestCluster.write(program, "#!/bin/sh\necho \"$COHORT_KEY|$COHORT_SERVER_KEY|$COHORT_ATTEMPT\" > \(f.dir)/rank-env.tmp\nmv \(f.dir)/rank-env.tmp \(f.dir)/rank-env\nexec sleep 30\n")
        var c = f.config()
        c.workerProgram = program
        setenv("COHORT_KEY", f.dir + "/server.key", 1)  // the coordinator's own variables never reach ranks
        defer { unsetenv("COHORT_KEY") }
        let coordinator = try Coordinator(config: c)
        try coordinator.start()
        f.cluster.coordinator = coordinator; f.cluster.endpoint = coordinator.endpoint
        let agent = Agent(name: "n", slots: 1, coordinator: coordinator.endpoint, heartbeatIntervalMs: 200, curve: f.keys(f.alice))
        f.cluster.agents.append(agent)
        agent.start()
        let client = f.client(f.alice, timeoutMs: 3000)
        try f.cluster.waitForNodes(1, client: client)
        let job = try client.submit(spec: f.cluster.spec("env", ranks: 1))
        defer { _ = try? client.cancel(job.id) }
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: f.dir + "/rank-env") && Date() < deadline { usleep(50_000) }
        let recorded = try String(contentsOfFile: f.dir + "/rank-env", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let env = recorded.split(separator: "|").prefix(2).joined(separator: "|")
        XCTAssertEqual(env, "\(f.dir)/worker.key|\(f.dir)/server.pub")
        XCTAssertFalse(try String(contentsOfFile: f.dir + "/server.pub", encoding: .utf8).contains(f.server.secretKey))
        // What `cohort train` does with those variables: TrainerReporter reads them and reports.
        let parts = env.split(separator: "|").map(String.init)
        let reporter = TrainerReporter(endpoint: coordinator.endpoint, job: job.id, rank: 0,
                                       environment: ["COHORT_KEY": parts[0], "COHORT_SERVER_KEY": parts[1],
                                                     "COHORT_ATTEMPT": String(recorded.split(separator: "|").last ?? "")])
        reporter.onFenced = { XCTFail("fenced: \($0)") }
        reporter.start()
        reporter.progress(step: 7, loss: 0.5, samplesPerSecond: 100)
        reporter.stop()
        XCTAssertEqual(try client.status(job.id).progress?.step, 7)
    }

    func testTwoCurveCoordinatorsInOneProcess() throws {
        try f.start()
        let other = try CurveFixture(name: "curve-2")
        defer { other.shutdown() }
        try other.start()
        XCTAssertEqual(try f.client(f.alice).nodes().count, 0)
        XCTAssertEqual(try other.client(other.alice).nodes().count, 0)
        XCTAssertTrue(other.assertRefused(f.alice).contains("refused our CURVE key"), "each has its own ZAP handler and list")
        f.shutdown()
        XCTAssertEqual(try other.client(other.alice).nodes().count, 0, "stopping one leaves the other serving")
    }

    func testNonLoopbackBindNeedsBothKeys() {
        let keys = "curve_secret_key: s.key\nauthorized_keys: ak\nworker_key: w.key\n"
        for (yaml, needle) in [("bind: tcp://0.0.0.0:5555\n", "curve_secret_key and authorized_keys"),
                               ("bind: tcp://0.0.0.0:5555\ncurve_secret_key: s.key\n", "go together"),
                               ("authorized_keys: ak\n", "go together"),
                               ("curve_secret_key: s.key\nauthorized_keys: ak\n", "worker_key is needed too"),
                               ("worker_key: w.key\n", "worker_key needs curve_secret_key"),
                               ("bind: inproc://x\n" + keys, "CURVE needs a tcp:// or ipc:// endpoint")] {
            XCTAssertThrowsError(try CoordinatorConfig.parse(yaml, source: "c.yaml"), yaml) { XCTAssertTrue("\($0)".contains(needle), "\($0)") }
        }
        XCTAssertEqual(try CoordinatorConfig.parse("bind: tcp://0.0.0.0:5555\n" + keys, source: "c.yaml").workerKey, "w.key")
        XCTAssertTrue(try CoordinatorConfig.parse("bind: tcp://127.0.0.1:5555\n" + keys, source: "c.yaml").usesCurve)
    }

    func testBadKeyFilesAreNamedErrors() throws {
        func startError(_ change: (inout CoordinatorConfig) throws -> Void) throws -> String {
            var c = f.config()
            try change(&c)
            let coordinator = try Coordinator(config: c)
            do { try coordinator.start() } catch { return "\(error)" }
            coordinator.stop()
            XCTFail("started")
            return ""
        }
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(toFile: f.dir + "/" + name, atomically: true, encoding: .utf8)
            return f.dir + "/" + name
        }
        var e = try startError { $0.curveSecretKey = f.dir + "/missing.key" }
        XCTAssertEqual(e, "\(f.dir)/missing.key: no such file")
        e = try startError { $0.curveSecretKey = try write("bad.key", "# c\npublic: \(f.server.publicKey)\nsecret: short\n") }
        XCTAssertTrue(e.hasSuffix("bad.key line 3: secret key is not a 40-character Z85 key"), e)
        e = try startError { $0.curveSecretKey = try write("mixed.key", "public: \(f.alice.publicKey)\nsecret: \(f.server.secretKey)\n") }
        XCTAssertTrue(e.contains("the public key does not belong to the secret key"), e)
        e = try startError { $0.curveSecretKey = f.dir + "/server.pub" }
        XCTAssertTrue(e.contains("server.pub line 1: this is a public key file (.pub)"), e)
        // (`~` is not a Z85 character, so the bad line cannot pass for a `#` comment either.)
        e = try startError { $0.authorizedKeys = try write("ak", "# ok\n\(f.alice.publicKey) alice\n\n~\(f.worker.publicKey) worker\n") }
        XCTAssertTrue(e.hasSuffix("ak line 4: expected a 40-character Z85 public key, got \"~\(f.worker.publicKey)\""), e)
        e = try startError { $0.workerKey = f.dir + "/mallory.key" }
        XCTAssertTrue(e.contains("is not in authorized_keys"), e)
        e = try startError { $0.workerKey = f.dir + "/server.key" }
        XCTAssertTrue(e.contains("coordinator's own key pair"), e)
        try CurveKeyFile.writePublic(f.alice.publicKey, to: f.dir + "/server.pub")
        e = try startError { _ in }
        XCTAssertTrue(e.contains("server.pub does not hold the public key of"), e)
        // Client side: the same errors, from CurveClientKeys.
        XCTAssertThrowsError(try CurveClientKeys.load(keyFile: f.dir + "/alice.key", serverKeyFile: f.dir + "/alice.key")) {
            XCTAssertTrue("\($0)".contains("this is a key pair file (.key, secret)"), "\($0)")
        }
        XCTAssertThrowsError(try CurveClientKeys.resolve(keyFile: f.dir + "/alice.key", serverKeyFile: nil, environment: [:])) {
            XCTAssertTrue("\($0)".contains("--server-key FILE or COHORT_SERVER_KEY"), "\($0)")
        }
    }
}
