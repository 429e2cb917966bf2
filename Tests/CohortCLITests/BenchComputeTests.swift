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
