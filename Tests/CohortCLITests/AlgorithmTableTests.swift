// `cohort bench allreduce --tune` across two shaped namespace nodes writes the algorithm table,
// jobs started with COHORT_ALGORITHM_TABLE read it (and get MPI's results), and a table from
// another topology or another build is one error per rank naming the file and the mismatch.
import Foundation
import XCTest

final class AlgorithmTableTests: XCTestCase {
    func testTuneWritesATableThatJobsReadAndMismatchesAreErrors() throws {
        let haveIP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        try XCTSkipUnless(getuid() == 0 && haveIP, "needs root and iproute2")
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/table.json"
        let tune = try CLI.run(["bench", "allreduce", "--nodes", "2", "--link-rate", "1gbit", "--tune", "--table", path,
                                "--bytes", "4K", "64K", "1M", "--iterations", "3"])
        XCTAssertEqual(tune.status, 0, tune.stderr)
        let lines = tune.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(lines.filter { $0["ring_us"] != nil }.count, 3, tune.stdout)
        XCTAssertEqual(lines.last?["table"] as? String, path, tune.stdout)
        let table = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any])
        XCTAssertEqual(table["ranks"] as? Int, 2)
        XCTAssertEqual(table["nodes"] as? Int, 2)
        XCTAssertEqual(table["ring_from_bytes"] as? Int, lines.last?["ring_from_bytes"] as? Int)

        // A job with the table: every size still equals MPI_Allreduce (the bench checks it).
        let use = try CLI.run(["bench", "allreduce", "--nodes", "2", "--bytes", "4K", "64K", "1M", "--iterations", "1"],
                              environment: ["COHORT_ALGORITHM_TABLE": path])
        XCTAssertEqual(use.status, 0, use.stderr)

        for (key, value, text) in [("ranks", 3 as Any, "was measured on 3 ranks across 2 nodes, this job has 2 ranks across 2 nodes"),
                                   ("build", "0123456789abcdef" as Any, "was measured by another build of cohort (0123456789abcdef")] {
            let bad = dir + "/bad-\(key).json"
            var t = table
            t[key] = value
            try JSONSerialization.data(withJSONObject: t).write(to: URL(fileURLWithPath: bad))
            let r = try CLI.run(["bench", "allreduce", "--nodes", "2", "--bytes", "4K", "--iterations", "1"],
                                environment: ["COHORT_ALGORITHM_TABLE": bad])
            XCTAssertNotEqual(r.status, 0, key)
            XCTAssertTrue(r.stderr.contains("COHORT_ALGORITHM_TABLE: \(bad) \(text)"), "\(key): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("\nhint: measure it again"), r.stderr)
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        }
    }
}
