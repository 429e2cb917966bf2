// `cohort bench compute` prints one JSON line with the keys of benchmark.md.
import Foundation
import XCTest

final class BenchComputeTests: XCTestCase {
    func testPrintsOneJSONLineWithTheDocumentedKeys() throws {
        try XCTSkipUnless(CLI.haveData, "needs the Fashion-MNIST data set")
        let r = try CLI.run(["bench", "compute", "--steps", "3", "--rounds", "3", "--batch", "32"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stdout)
        guard lines.count == 1 else { return }
        let obj = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        for key in ["bench", "samples_per_s", "model_gflops", "sgemm_gflops", "mfu", "blas_core"] { XCTAssertNotNil(obj[key], key) }
        XCTAssertEqual(obj["bench"] as? String, "compute")
        XCTAssertEqual(obj["threads"] as? Int, 1)
    }

    func testTheChosenCoreTypeIsInTheEnvironmentAndTheUserOverrideWins() throws {
        try XCTSkipUnless(CLI.haveData, "needs the Fashion-MNIST data set")
        let r = try CLI.run(["bench", "compute", "--steps", "1", "--rounds", "1", "--batch", "8"], environment: ["OPENBLAS_CORETYPE": "SANDYBRIDGE"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("\"blas_core\":\"Sandybridge\""), r.stdout)
    }
}

/// `--vs-pytorch`: PyTorch's workload G in the same run, or one clear error when there is no torch.
final class BenchComputeVsPyTorchTests: XCTestCase {
    func testPyTorchLineFollowsCohortsWithTheRatioOrOneErrorWithoutTorch() throws {
        let r = try CLI.run(["bench", "compute", "--model", "gpt", "--steps", "2", "--rounds", "2", "--warmup", "1", "--vs-pytorch"])
        if r.status != 0 {
            // A machine without torch for /usr/bin/python3: one error naming torch, nothing on stdout.
            XCTAssertTrue(r.stderr.contains("error: --vs-pytorch: /usr/bin/python3 cannot import torch"), r.stderr)
            XCTAssertEqual(r.stdout, "")
            return
        }
        let lines = r.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        XCTAssertEqual(lines.count, 2, r.stdout)
        guard lines.count == 2 else { return }
        XCTAssertNotNil(lines[0]["vs_pytorch"] as? Double, r.stdout)
        XCTAssertEqual(lines[1]["impl"] as? String, "pytorch")
        XCTAssertEqual(lines[1]["model"] as? String, "gpt")
        XCTAssertGreaterThan(lines[1]["tokens_per_s"] as? Double ?? 0, 0)
        XCTAssertEqual(lines[1]["cohort_over_pytorch"] as? Double, lines[0]["vs_pytorch"] as? Double)
    }

    func testAnInterpreterWithoutTorchIsOneClearError() throws {
        let r = try CLI.run(["bench", "compute", "--model", "gpt", "--steps", "1", "--rounds", "1", "--vs-pytorch", "--python", "/bin/sh"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.hasPrefix("error: --vs-pytorch: /bin/sh cannot import torch"), r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, r.stderr)
    }

    func testVsPyTorchRefusesAWorkloadItHasNoScriptFor() throws {
        let r = try CLI.run(["bench", "compute", "--model", "cnn", "--vs-pytorch"])
        XCTAssertEqual(r.status, 64, r.stderr)
        XCTAssertTrue(r.stderr.contains("--vs-pytorch times workload W"), r.stderr)
    }
}
