// Daemons that talk: a missing config, a state directory already in use and an agent without a
// coordinator each say so in one line, naming the file, directory (and holder) or address.
import Foundation
import XCTest

final class DaemonStartTests: XCTestCase {
    func testMissingConfigNamesFileAndReason() throws {
        let r = try CLI.run(["coordinator", "--config", "/nonexistent/coordinator.yaml"])
        XCTAssertNotEqual(r.status, 0)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: cannot read coordinator config /nonexistent/coordinator.yaml: No such file or directory"), r.stderr)
    }

    func testSecondCoordinatorOnSameStateDirRefuses() throws {
        let cluster = try LocalCluster(name: "statelock", slots: [])
        defer { cluster.shutdown() }
        let r = try CLI.run(["coordinator", "--config", cluster.dir + "/coordinator.yaml"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: state directory \(cluster.dir)/state is in use by another coordinator (pid "), r.stderr)
        // The first one still serves.
        XCTAssertEqual(try cluster.cohort(["nodes"]).status, 0)
    }

    func testStateDirIsFreeAfterTheHolderIsKilled() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "bind: tcp://127.0.0.1:*\nstate_dir: \(dir)/state\nmetrics_port: null\n".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        for round in 0..<2 {
            let log = dir + "/c\(round).log"
            let p = try CLI.spawn(["coordinator", "--config", dir + "/c.yaml"], log: log)
            defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }  // SIGKILL: the kernel drops the flock
            try poll(seconds: 10, "coordinator \(round) listening") {
                ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("coordinator listening")
            }
        }
    }

    func testAgentWithoutCoordinatorSaysSoAndRetries() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = dir + "/agent.log"
        let p = try CLI.spawn(["agent", "--coordinator", "tcp://127.0.0.1:9", "--name", "lonely", "--slots", "1"], log: log)
        defer { kill(p.processIdentifier, SIGKILL); p.waitUntilExit() }
        try poll(seconds: 10, "agent reports no coordinator") {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("coordinator-unreachable node=lonely coordinator=tcp://127.0.0.1:9")
        }
        usleep(500_000)
        XCTAssertTrue(p.isRunning, "the agent keeps retrying")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "coordinator-unreachable").count - 1, 1, "said once: \(text)")
    }

    private func poll(seconds: Double, _ what: String, _ check: () -> Bool) throws {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline { if check() { return }; usleep(20_000) }
        throw TestFailure("timed out after \(seconds) s waiting for: \(what)")
    }
}
