// A rank that refuses its configuration (here: a data directory missing on its node; `submit`
// cannot see that) exits EX_CONFIG, and the real coordinator ends the job FAILED after that one
// attempt, with the rank's own message, instead of retrying it as a fault.
import Foundation
import XCTest

final class ConfigErrorTests: XCTestCase {
    func testMissingDataFailsTheJobAtOnceWithTheRanksMessage() throws {
        let cluster = try LocalCluster(name: "configerror", slots: [2])
        defer { cluster.shutdown() }
        let missing = cluster.dir + "/no-such-fashion-mnist"
        let spec = cluster.dir + "/nodata.yaml"
        try """
        name: nodata
        model: {kind: mlp, hidden: [16]}
        data: {kind: fashion-mnist, path: \(missing)}
        train: {epochs: 1, batch_per_rank: 32, optimizer: sgd, lr: 0.05}
        parallel: {ranks: 2}
        fault: {max_restarts: 3}
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let start = Date()
        let r = try cluster.cohort(["submit", spec, "--follow"])
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(r.status, 2, r.stdout + r.stderr)
        XCTAssertLessThan(seconds, 20, "a configuration error took \(seconds) s to end the job")
        let status = try cluster.status("1")
        XCTAssertEqual(status["state"] as? String, "FAILED", "\(status)")
        XCTAssertEqual(status["attempts"] as? Int, 1, "retried: \(status)")
        let reason = status["reason"] as? String ?? ""
        XCTAssertTrue(reason.hasPrefix("rank ") && reason.contains("Fashion-MNIST not found in \(missing)"), reason)
        XCTAssertEqual(try cluster.history("1").first?["outcome"] as? String, "config-error", "\(status)")
        XCTAssertTrue(r.stdout.contains("job 1 FAILED: rank "), r.stdout)
        // The rank's hint names what a submitted job can change (there is no --data to pass).
        let log = try cluster.cohort(["logs", "1", "--rank", "0"])
        XCTAssertTrue(log.stdout.contains("hint: install Debian's dataset-fashion-mnist (apt-get install dataset-fashion-mnist) on every node the job runs on, or set data.path in the job spec"),
                      log.stdout + log.stderr)
    }
}
