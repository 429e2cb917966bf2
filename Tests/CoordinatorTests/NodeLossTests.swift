// Tests: an agent that stops heartbeating is declared dead after interval × liveness; its job's
// attempt is terminated and handled as a fault: RUNNING → RESTARTING, waiting for nodes while the
// cluster is too small, then RUNNING again when the node returns.
import Coordinator
import Foundation
import Wire
import XCTest

final class NodeLossTests: XCTestCase {
    func testLostNodeRestartsTheJobWhenItReturns() throws {
        let cluster = try TestCluster(name: "nodeloss")
        defer { cluster.shutdown() }
        let client = try cluster.start()
        // 3 ranks span both nodes; the first attempt sleeps long, so only a restart can finish it.
        let job = try client.submit(spec: cluster.spec("spans", ranks: 3, sleep: 60) + "fault: {max_restarts: 1}\n")
        XCTAssertEqual(job.state, .running)
        cluster.agents[1].stop()  // node-b goes silent
        var s = try client.status(job.id)
        let deadline = Date().addingTimeInterval(15)
        while !(s.state == .restarting && s.reason?.contains("waiting for nodes") == true) && Date() < deadline { usleep(100_000); s = try client.status(job.id) }
        XCTAssertEqual(s.state, .restarting)
        XCTAssertTrue(s.reason?.contains("waiting for nodes") ?? false, s.reason ?? "")
        XCTAssertEqual(try client.nodes().filter(\.live).map(\.name), ["node-a"])
        // The node comes back: the job runs again (attempt 2) and is cancelled to end the test.
        let back = Agent(name: "node-b", address: "127.0.0.2", slots: 2, coordinator: cluster.endpoint, heartbeatIntervalMs: 200)
        back.start()
        cluster.agents.append(back)
        while s.state != .running && Date() < deadline.addingTimeInterval(15) { usleep(100_000); s = try client.status(job.id) }
        XCTAssertEqual(s.state, .running)
        XCTAssertEqual(s.attempts, 2)
        _ = try client.cancel(job.id)
        XCTAssertEqual(try client.wait(job.id, timeout: 20).state, .cancelled)
    }
}
