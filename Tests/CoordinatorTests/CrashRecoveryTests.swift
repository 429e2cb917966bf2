// Tests: kill -9 of a coordinator subprocess (.build/<config>/cohort coordinator) while jobs run,
// then a restart on the same state directory: every job is still there in the right state, a job
// that ended while the coordinator was down gets its real outcome, a running job is re-attached
// and finishes with complete logs, and the queue goes on.
import Coordinator
import Foundation
import Wire
import XCTest

final class CrashRecoveryTests: XCTestCase {
    /// The cohort executable next to the test bundle (.build/release/cohort).
    static var cohortBinary: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("cohort").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("cohort").path
    }

    func startCoordinator(config: String, log: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.cohortBinary)
        p.arguments = ["coordinator", "--config", config]
        FileManager.default.createFile(atPath: log, contents: nil)
        let fh = FileHandle(forWritingAtPath: log)!
        fh.seekToEndOfFile()
        p.standardOutput = fh; p.standardError = fh
        try p.run()
        return p
    }

    func testKill9AndRestartLosesNothing() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Self.cohortBinary), "build cohort first: \(Self.cohortBinary)")
        let cluster = try TestCluster(name: "crash")
        defer { cluster.shutdown() }
        let endpoint = "tcp://127.0.0.1:\(FreePort.loopback())"
        let c = cluster.config()
        let yaml = """
        bind: \(endpoint)
        state_dir: \(c.stateDir)
        metrics_port: 0
        heartbeat_interval_ms: 500
        rsh_agent: \(c.rshAgent!)
        worker_program: \(c.workerProgram!)
        """
        try yaml.write(toFile: cluster.dir + "/coordinator.yaml", atomically: true, encoding: .utf8)
        var proc = try startCoordinator(config: cluster.dir + "/coordinator.yaml", log: cluster.dir + "/coordinator.log")
        defer { if proc.isRunning { proc.terminate(); proc.waitUntilExit() } }
        cluster.startAgents(endpoint: endpoint)
        let client = CoordinatorClient(endpoint: endpoint, timeoutMs: 3000)
        try cluster.waitForNodes(2, client: client)

        let done = try client.submit(spec: cluster.spec("done", ranks: 1))
        XCTAssertEqual(try client.wait(done.id, timeout: 20).state, .succeeded)
        let short = try client.submit(spec: cluster.spec("ends-while-down", ranks: 2, sleep: 1.5))
        let long = try client.submit(spec: cluster.spec("reattached", ranks: 2, sleep: 6, lines: 30))
        let queued = try client.submit(spec: cluster.spec("queued", ranks: 2))
        let cancelled = try client.submit(spec: cluster.spec("cancelled", ranks: 4))
        _ = try client.cancel(cancelled.id)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try? client.status(long.id).state) != .running || (try? client.status(short.id).state) != .running { usleep(50_000) }
        XCTAssertEqual(try client.status(queued.id).state, .pending)

        let t0 = Date()
        func mark(_ s: String) { print(String(format: "crash test +%.2f s: %@", Date().timeIntervalSince(t0), s)) }
        kill(proc.processIdentifier, SIGKILL)
        proc.waitUntilExit()
        XCTAssertThrowsError(try CoordinatorClient(endpoint: endpoint, timeoutMs: 300).status(long.id)) { e in
            guard case ClientError.unreachable = e else { return XCTFail("\(e)") }
        }
        mark("killed")
        // The short job ends while nobody watches: its wrapper records the exit status.
        let exitFile = cluster.dir + "/state/jobs/\(short.id)/attempt-1/exit_code"
        let ended = Date().addingTimeInterval(15)
        while Date() < ended && !FileManager.default.fileExists(atPath: exitFile) { usleep(50_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: exitFile), "the short job did not end while the coordinator was down")
        proc = try startCoordinator(config: cluster.dir + "/coordinator.yaml", log: cluster.dir + "/coordinator.log")
        mark("restarted")
        var jobs: [JobInfo] = []
        let up = Date().addingTimeInterval(10)
        while Date() < up { if let j = try? client.list() { jobs = j; break }; usleep(100_000) }
        mark("listed")
        XCTAssertEqual(Set(jobs.map(\.id)), Set([done, short, long, queued, cancelled].map(\.id)), "a job was lost")
        let state = Dictionary(uniqueKeysWithValues: jobs.map { ($0.id, $0.state) })
        XCTAssertEqual(state[done.id], .succeeded)
        XCTAssertEqual(state[cancelled.id], .cancelled)
        XCTAssertEqual(state[short.id], .succeeded, "finished while the coordinator was down")
        XCTAssertEqual(state[long.id], .running, "should be re-attached")
        // Still queued, or already run by the new coordinator (it schedules as soon as the agents'
        // heartbeats arrive, which may be before the first `list` gets through): never lost or failed.
        XCTAssertTrue([.pending, .scheduled, .running, .succeeded].contains(state[queued.id]), "\(String(describing: state[queued.id]))")

        let l = try client.wait(long.id, timeout: 30)
        XCTAssertEqual(l.state, .succeeded)
        XCTAssertEqual(l.attempts, 1, "re-attached, not relaunched")
        XCTAssertEqual(try client.wait(queued.id, timeout: 30).state, .succeeded)
        let text = try client.logs(long.id).text
        for r in 0 ..< 2 {
            for i in 0 ..< 30 { XCTAssertTrue(text.contains("[\(r)] job \(long.id) rank \(r) line \(i)\n")) }
            XCTAssertTrue(text.contains("[\(r)] job \(long.id) rank \(r) done"))
        }
    }

    /// Every submit the coordinator acknowledged is in its store after a kill -9 that comes right
    /// after the last acknowledgement: with WAL and synchronous=NORMAL a commit is in the log (the
    /// kernel's page cache) before the reply is sent, and a killed process loses nothing there.
    func testAcknowledgedSubmitsSurviveKill9() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: Self.cohortBinary), "build cohort first: \(Self.cohortBinary)")
        let dir = NSTemporaryDirectory() + "cohort-durable-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let endpoint = "tcp://127.0.0.1:\(FreePort.loopback())"
        try "bind: \(endpoint)\nstate_dir: \(dir)/state\nmetrics_port: null\n".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        var proc = try startCoordinator(config: dir + "/c.yaml", log: dir + "/coordinator.log")
        defer { if proc.isRunning { kill(proc.processIdentifier, SIGKILL); proc.waitUntilExit() } }
        let client = CoordinatorClient(endpoint: endpoint, timeoutMs: 3000)
        let up = Date().addingTimeInterval(15)
        while Date() < up, (try? client.nodes()) == nil { usleep(50_000) }
        // No node is live: each job is queued (wait_for_nodes), nothing is launched.
        var acked: [String] = []
        for i in 0 ..< 100 { acked.append(try client.submit(spec: "name: durable-\(i)\n" + TestCluster.body(ranks: 1), waitForNodes: true).id) }
        kill(proc.processIdentifier, SIGKILL)
        proc.waitUntilExit()
        proc = try startCoordinator(config: dir + "/c.yaml", log: dir + "/coordinator.log")
        var jobs: [JobInfo]?
        let back = Date().addingTimeInterval(15)
        while Date() < back, jobs == nil { jobs = try? client.list(); if jobs == nil { usleep(50_000) } }
        let listed = try XCTUnwrap(jobs, "the restarted coordinator did not answer")
        XCTAssertEqual(Set(listed.map(\.id)), Set(acked), "an acknowledged submit was lost")
        XCTAssertTrue(listed.allSatisfy { $0.state == .pending })
    }
}
