// Tests: EmbeddedCluster (what `cohort run` uses) runs a job to completion in-process, and
// SpecSummary.withRanks overrides parallel.ranks without touching min_ranks.
import Coordinator
import Foundation
import XCTest

final class EmbeddedClusterTests: XCTestCase {
    func testRunsAJobInProcess() throws {
        let helper = try TestCluster(name: "embedded")
        let cluster = try EmbeddedCluster(slots: 2, workerProgram: helper.dir + "/worker.sh")
        defer { cluster.stop(); helper.shutdown() }
        let client = CoordinatorClient(endpoint: cluster.endpoint)
        let job = try client.submit(spec: helper.spec("embedded", ranks: 2, lines: 3, tail: "no-newline"))
        var text = ""
        let end = try client.follow(job.id) { text += $0 }
        XCTAssertEqual(end.state, .succeeded)
        for r in 0 ..< 2 {
            XCTAssertTrue(text.contains("[\(r)] job \(job.id) rank \(r) done\n"), text)
            XCTAssertTrue(text.contains("[\(r)] no-newline\n"), "a last line without a newline was lost:\n\(text)")
        }
    }

    func testWithRanks() throws {
        let spec = "name: m\nmodel: {kind: mlp}\ndata: {kind: fashion-mnist}\nparallel: {min_ranks: 1, ranks: 2, zero_stage: 1}\n"
            + "train: {epochs: 1, global_batch: 8, optimizer: sgd, lr: 0.1}\n"
        let out = try SpecSummary.withRanks(spec, 4)
        let s = try SpecSummary.parse(out)
        XCTAssertEqual(s.ranks, 4)
        XCTAssertEqual(s.minRanks, 1)
        XCTAssertEqual(s.globalBatch, 8)
        XCTAssertTrue(out.contains("zero_stage: 1"), out)
    }
}
