// Tests: reports from a fenced attempt, from a rank the attempt does not have, or about a job in a
// terminal state change nothing (progress, last checkpoint, attempt history), and terminal states
// stay final whatever arrives.
import Coordinator
import Foundation
import Wire
import XCTest

final class FencingTests: XCTestCase {
    func report(_ cluster: TestCluster, _ kind: Message.Kind, job: String, attempt: Int, rank: Int, step: Int) throws -> Message {
        var m = Message(kind)
        m.job = job; m.attempt = attempt; m.rank = rank; m.step = step
        switch kind {
        case .progress: m.loss = 9.5; m.samplesPerS = 1
        case .checkpointCommitted: m.path = "/tmp/fenced-\(step)"
        case .hello: m.worldSize = 2; m.pid = 1
        default: break
        }
        return try RequestClient(endpoint: cluster.endpoint).exchange(m)
    }

    func testFencedAttemptsUnknownRanksAndTerminalJobsChangeNothing() throws {
        let cluster = try TestCluster(name: "fence")
        defer { cluster.shutdown() }
        let client = try cluster.start()
        let job = try client.submit(spec: cluster.spec("fenced", ranks: 2, sleep: 30))
        let attempt = try XCTUnwrap(cluster.attempt(of: job.id))
        // The current attempt's rank 0 reports step 5 and a checkpoint at 5.
        XCTAssertEqual(try report(cluster, .progress, job: job.id, attempt: attempt, rank: 0, step: 5).type, .ok)
        XCTAssertEqual(try report(cluster, .checkpointCommitted, job: job.id, attempt: attempt, rank: 0, step: 5).type, .ok)
        // Rank 0 says goodbye, so its silence from now on is not a fault (the test worker sends no heartbeats).
        var bye = Message(.heartbeat); bye.job = job.id; bye.attempt = attempt; bye.rank = 0; bye.done = true
        XCTAssertEqual(try RequestClient(endpoint: cluster.endpoint).exchange(bye).type, .ok)
        func unchanged(_ why: String, file: StaticString = #filePath, line: UInt = #line) throws {
            let s = try client.status(job.id)
            XCTAssertEqual(s.progress?.step, 5, why, file: file, line: line)
            XCTAssertEqual(s.lastCheckpointStep, 5, why, file: file, line: line)
        }
        for kind in [Message.Kind.progress, .checkpointCommitted, .hello, .heartbeat] {
            // Another attempt (a fenced survivor), and a rank the 2-rank attempt does not have.
            XCTAssertEqual(try report(cluster, kind, job: job.id, attempt: attempt + 1, rank: 0, step: 99).code, .staleAttempt, "\(kind)")
            XCTAssertEqual(try report(cluster, kind, job: job.id, attempt: attempt, rank: 2, step: 99).code, .staleAttempt, "\(kind)")
            try unchanged("\(kind) from a fenced attempt or an unknown rank")
        }
        XCTAssertEqual(try client.status(job.id).state, .running)
        _ = try client.cancel(job.id)
        XCTAssertEqual(try client.wait(job.id, timeout: 20).state, .cancelled)
        let before = try client.status(job.id)
        for kind in [Message.Kind.progress, .checkpointCommitted, .hello, .heartbeat] {
            XCTAssertEqual(try report(cluster, kind, job: job.id, attempt: attempt, rank: 0, step: 77).code, .staleAttempt, "\(kind) after the end")
        }
        try unchanged("reports after the job was cancelled")
        XCTAssertThrowsError(try client.cancel(job.id)) { XCTAssertTrue("\($0)".contains("already CANCELLED"), "\($0)") }
        let after = try client.status(job.id)
        XCTAssertEqual(after.state, .cancelled, "terminal states are final")
        XCTAssertEqual(after.history, before.history)
        XCTAssertEqual(after.finishedAt, before.finishedAt)
    }
}
