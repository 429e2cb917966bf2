// What README's `make run` promises: `cohort run` on the example job ends by printing a `cohort
// eval` command, and that command, run as printed, reports the final test accuracy the run printed
// (the final step is checkpointed). Piped, the run's output has no redraws; its metrics are kept
// next to its checkpoints.
import Foundation
import XCTest

final class RunEvalAgreementTests: XCTestCase {
    func testTheEvalCommandRunPrintsReportsTheRunsFinalAccuracy() throws {
        guard CLI.haveData else { throw XCTSkip("Fashion-MNIST is not installed (dataset-fashion-mnist)") }
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The example job, one epoch instead of ten.
        let example = try String(contentsOfFile: CLI.root + "/cluster/jobs/fashion-mlp.yaml", encoding: .utf8)
        let spec = example.replacingOccurrences(of: "epochs: 10", with: "epochs: 1")
        XCTAssertNotEqual(spec, example, "the example spec no longer says epochs: 10")
        try spec.write(toFile: dir + "/example.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "-n", "2", "example.yaml"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse((r.stdout + r.stderr).contains("\r"), "piped output has redraws")
        guard let m = r.stdout.range(of: #"final test accuracy (\d\.\d{4})"#, options: .regularExpression) else {
            return XCTFail("no final accuracy in:\n\(r.stdout)")
        }
        let printed = String(r.stdout[m].suffix(6))
        guard let line = r.stderr.split(separator: "\n").first(where: { $0.contains("cohort eval ") }),
              let at = line.range(of: "cohort eval ") else { return XCTFail("no eval command in:\n\(r.stderr)") }
        let args = ["eval"] + line[at.upperBound...].split(separator: " ").map(String.init)
        let e = try CLI.run(args, cwd: dir)
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue((e.stdout + e.stderr).contains("test accuracy \(printed)"), "run printed \(printed); cohort \(args.joined(separator: " ")) printed: \(e.stdout)")
        let metrics = dir + "/checkpoints/fashion-mlp.metrics.jsonl"
        XCTAssertTrue(r.stderr.contains("metrics in \(metrics)"), r.stderr)
        let lines = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line per epoch")
        XCTAssertTrue(lines.first?.contains("\"test_accuracy\":") == true, "\(lines)")
    }
}
