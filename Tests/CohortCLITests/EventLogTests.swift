// The daemons' event lines: leveled and UTC-timestamped on stderr, one per event (node joined,
// submit, finish of a cancelled job), as `cohort coordinator` and `cohort agent` print them.
import Foundation
import XCTest

final class EventLogTests: XCTestCase {
    func testCoordinatorLogsNodeJoinedSubmitAndFinish() throws {
        let cluster = try LocalCluster(name: "eventlog", slots: [1])
        defer { cluster.shutdown() }
        let spec = cluster.dir + "/wide.yaml"
        try """
        name: wide-job
        model: {kind: mlp, hidden: [8]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 8, optimizer: sgd, lr: 0.1}
        parallel: {ranks: 4}
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let sub = try cluster.cohort(["submit", spec, "--wait-for-nodes"])
        XCTAssertEqual(sub.status, 0, sub.stderr)
        XCTAssertEqual(try cluster.cohort(["cancel", "1"]).status, 0)
        let stamp = #"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"#
        let want = [
            stamp + #" info  node-joined detail="n1 127\.0\.0\.1 slots=1""#,
            stamp + #" info  submit job=1 name=wide-job ranks=4 priority=0"#,
            // A queued job is cancelled at once (no cancel request to wait on): one finish line.
            stamp + #" info  finish job=1 from=PENDING to=CANCELLED detail="cancelled by request""#,
        ]
        var text = ""
        let deadline = Date().addingTimeInterval(10)
        repeat {
            text = (try? String(contentsOfFile: cluster.dir + "/coordinator.log", encoding: .utf8)) ?? ""
            if want.allSatisfy({ text.range(of: $0, options: .regularExpression) != nil }) { return }
            usleep(50_000)
        } while Date() < deadline
        for w in want { XCTAssertNotNil(text.range(of: w, options: .regularExpression), "no line like \(w) in:\n\(text)") }
    }
}
