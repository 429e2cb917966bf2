// Tests: a real coordinator and two agents on loopback running mpirun: 20 jobs of different sizes
// (no slot double-booked, priority-then-FIFO start order, complete logs), cancel kills the ranks,
// failures and restarts, pending reasons.
import Coordinator
import Foundation
import Wire
import XCTest

/// Whether `pid` exists and is not a zombie (an orphaned zombie waits for a reaper, but is dead).
func isRunning(_ pid: pid_t) -> Bool {
    guard kill(pid, 0) == 0, let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

final class ClusterTests: XCTestCase {
    func testTwentyJobsNoDoubleBookingOrderAndLogs() throws {
        let cluster = try TestCluster(name: "twenty")
        defer { cluster.shutdown() }
        let client = try cluster.start()
        // A blocker holds all 4 slots, so all 20 jobs queue up before any starts.
        let blocker = try client.submit(spec: cluster.spec("blocker", ranks: 4, sleep: 1.5))
        var ids: [String] = []
        var queued: [Scheduler.Queued] = []
        for i in 0 ..< 20 {
            let ranks = [1, 2, 3, 4, 1][i % 5], priority = [0, 0, 5, 0, 9][i % 5] * (i % 3 == 0 ? 1 : 0)
            let j = try client.submit(spec: cluster.spec("j\(i)", ranks: ranks, sleep: 0.2, lines: 40), priority: priority)
            ids.append(j.id)
            queued.append(.init(id: Int64(j.id)!, ranks: ranks, priority: priority))
        }
        var final: [String: JobInfo] = [:]
        for id in [blocker.id] + ids {
            let j = try client.wait(id, timeout: 90)
            XCTAssertEqual(j.state, .succeeded, "job \(id): \(j.reason ?? "")")
            final[id] = j
        }
        // No slot double-booked: sweep each node's attempt intervals.
        for node in ["node-a", "node-b"] {
            var edges: [(Double, Int)] = []
            for j in final.values { for s in j.allocation where s.node == node {
                edges.append((j.startedAt!, s.slots)); edges.append((j.finishedAt!, -s.slots))
            } }
            var used = 0
            for e in edges.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                used += e.1
                XCTAssertLessThanOrEqual(used, 2, "\(node) over-booked at \(e.0)")
            }
        }
        // Start order follows (priority desc, submission asc).
        let order = Scheduler.order(queued).map { final["\($0.id)"]!.startedAt! }
        XCTAssertEqual(order, order.sorted(), "jobs did not start in priority/FIFO order")
        // Logs complete: every rank's 40 lines and its final line.
        for id in ids {
            let j = final[id]!
            let text = try client.logs(id).text
            for r in 0 ..< j.ranks {
                for i in 0 ..< 40 { XCTAssertTrue(text.contains("[\(r)] job \(id) rank \(r) line \(i)\n"), "job \(id) rank \(r) line \(i) missing") }
                XCTAssertTrue(text.contains("[\(r)] job \(id) rank \(r) done"))
            }
        }
    }

    func testCancelKillsRanksAndFailuresAreReported() throws {
        let cluster = try TestCluster(name: "cancel")
        defer { cluster.shutdown() }
        let client = try cluster.start()
        let long = try client.submit(spec: cluster.spec("long", ranks: 3, sleep: 60))
        // Wait for all three ranks to record their pids.
        var pids: [pid_t] = []
        let deadline = Date().addingTimeInterval(20)
        while pids.count < 3 && Date() < deadline {
            pids = (0 ..< 3).compactMap { r in (try? String(contentsOfFile: "\(cluster.dir)/pids/\(long.id)-\(r)", encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) } }
            usleep(100_000)
        }
        XCTAssertEqual(pids.count, 3)
        // A pending job explains why it waits.
        let waiting = try client.submit(spec: cluster.spec("waiting", ranks: 2))
        XCTAssertEqual(waiting.state, .pending)
        XCTAssertEqual(try client.status(waiting.id).reason?.hasPrefix("needs 2 slots; 1 free on 2 live nodes"), true)
        _ = try client.cancel(long.id)
        let end = try client.wait(long.id, timeout: 20)
        XCTAssertEqual(end.state, .cancelled)
        let gone = Date().addingTimeInterval(5)
        while Date() < gone && pids.contains(where: isRunning) { usleep(100_000) }
        for p in pids { XCTAssertFalse(isRunning(p), "rank pid \(p) still alive after cancel") }
        XCTAssertEqual(try client.wait(waiting.id, timeout: 20).state, .succeeded)
        // Terminal states are final.
        XCTAssertThrowsError(try client.cancel(long.id))
        // A failing job: exit code recorded; with max_restarts 1 it restarts once first.
        let bad = try client.submit(spec: cluster.spec("bad", ranks: 1, exit: 3, extra: "fault: {max_restarts: 1}\n"))
        let b = try client.wait(bad.id, timeout: 30)
        XCTAssertEqual(b.state, .failed)
        XCTAssertEqual(b.exitCode, 3)
        XCTAssertEqual(b.attempts, 2)
    }

    func testSpecsCannotMakeTheCoordinatorRunCommands() throws {
        let cluster = try TestCluster(name: "inject")
        defer { cluster.shutdown() }
        let client = try cluster.start()
        // Shell syntax in every string the coordinator reads from a spec: the name, and the
        // checkpoint directory, which is the one value that reaches mpirun's command line.
        let marker = cluster.dir + "/pwned"
        let spec = cluster.spec("x; touch \(marker) $(touch \(marker))", ranks: 1,
                                extra: "checkpoint: {dir: \"/tmp/c'; touch \(marker); '$(touch \(marker))`touch \(marker)`\"}\n")
        let job = try client.submit(spec: spec)
        XCTAssertEqual(try client.wait(job.id, timeout: 20).state, .succeeded)
        XCTAssertFalse(FileManager.default.fileExists(atPath: marker), "a spec string was run as a command")
        // The launched program is the configured worker, with arguments the coordinator built.
        let script = try String(contentsOfFile: cluster.dir + "/state/jobs/\(job.id)/attempt-1/run.sh", encoding: .utf8)
        XCTAssertTrue(script.contains("'\(cluster.dir)/worker.sh' 'train' '--job' '\(job.id)'"), script)
    }

    func testRestartsBackOffAndStopAtMaxRestarts() throws {
        let cluster = try TestCluster(name: "backoff")
        defer { cluster.shutdown() }
        let client = try cluster.start()
        let job = try client.submit(spec: cluster.spec("flaky", ranks: 1, exit: 7, extra: "fault: {max_restarts: 3}\n"))
        let end = try client.wait(job.id, timeout: 30)
        XCTAssertEqual(end.state, .failed)
        XCTAssertEqual(end.attempts, 4)
        let history = try client.status(job.id).history ?? []
        XCTAssertEqual(history.map(\.outcome), [.failed, .failed, .failed, .failed])
        XCTAssertTrue(history.allSatisfy { $0.reason == "exit code 7: rank 0 exited with code 7" }, "\(history)")
        // No checkpoint in between: each wait doubles (0.1, 0.2, 0.4 s with the test's 100 ms base).
        let gaps = zip(history.dropFirst(), history).map { $0.startedAt - ($1.finishedAt ?? 0) }
        XCTAssertEqual(gaps.count, 3)
        for (gap, base) in zip(gaps, [0.1, 0.2, 0.4]) { XCTAssertTrue(gap >= base && gap < base + 1.0, "gaps \(gaps)") }
        XCTAssertTrue(end.reason?.contains("after 3 restarts") ?? false, end.reason ?? "")
    }
}
