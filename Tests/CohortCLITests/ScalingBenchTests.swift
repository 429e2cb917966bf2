// `cohort bench scaling --nodes K`: W on one rank and on K namespace nodes made by the benchmark
// (one rank each) in one invocation, printing the documented lines with nodes, link rate and
// wire format; --vs-gloo adds PyTorch DDP over Gloo on the same nodes when /usr/bin/python3 has
// it, and is one error line when the interpreter has no PyTorch.
import Foundation
import XCTest

final class ScalingBenchTests: XCTestCase {
    private func jsonLines(_ text: String) -> [[String: Any]] {
        text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    private var haveGloo: Bool {
        (try? CLI.exec("/usr/bin/python3", ["-c", "import torch.distributed as d; assert d.is_gloo_available()"]).status) == 0
    }

    func testScalingAcrossTwoNamespaceNodesInBF16() throws {
        try TestNodes.available()
        let gloo = haveGloo
        let r = try CLI.run(["bench", "scaling", "--nodes", "2", "--link-rate", "1gbit", "--dtype", "bf16", "--zero-stage", "0",
                             "--steps", "21", "--rounds", "1"] + (gloo ? ["--vs-gloo"] : []))
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = jsonLines(r.stdout)
        XCTAssertEqual(lines.count, gloo ? 2 : 1, r.stdout)
        let cohort = try XCTUnwrap(lines.first { $0["impl"] as? String == "cohort" }, r.stdout)
        XCTAssertEqual(cohort["nodes"] as? Int, 2)
        XCTAssertEqual(cohort["ranks"] as? Int, 2)
        XCTAssertEqual(cohort["link_rate"] as? String, "1gbit")
        XCTAssertEqual(cohort["dtype"] as? String, "bf16")
        for key in ["samples_per_s_1", "samples_per_s_n", "speedup"] { XCTAssertGreaterThan(cohort[key] as? Double ?? 0, 0, key) }
        // One ratio per round (the reported speedup is the best of each side, so at least the best round's),
        // and the load at the start and at the end.
        let perRound = try XCTUnwrap(cohort["speedup_per_round"] as? [Double], r.stdout)
        XCTAssertEqual(perRound.count, 1)
        XCTAssertEqual(perRound[0], cohort["speedup"] as? Double ?? 0, accuracy: 1e-9)
        XCTAssertEqual((cohort["load_1min"] as? [Double])?.count, 2, r.stdout)
        if gloo {
            let torch = try XCTUnwrap(lines.first { $0["impl"] as? String == "pytorch-gloo" }, r.stdout)
            XCTAssertEqual(torch["nodes"] as? Int, 2)
            XCTAssertGreaterThan(torch["samples_per_s_n"] as? Double ?? 0, 0)
            XCTAssertGreaterThan(cohort["vs_gloo"] as? Double ?? 0, 0)
        }
        XCTAssertEqual(try CLI.benchNamespacesLeft(r), [], "namespaces left behind")
    }

    func testVsGlooWithoutPyTorchIsOneError() throws {
        let r = try CLI.run(["bench", "scaling", "--vs-gloo", "--steps", "21"], environment: ["COHORT_GLOO_PYTHON": "/bin/false"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertEqual(r.stdout, "")
        XCTAssertTrue(r.stderr.contains("error: --vs-gloo needs PyTorch with Gloo in /bin/false"), r.stderr)
    }

    func testBadScalingOptionsAreOneErrorEach() throws {
        for (args, text) in [(["--dtype", "fp8"], "--dtype must be fp32, bf16 or fp16"),
                             (["--link-rate", "1gbit"], "--link-rate needs --nodes"),
                             (["--nodes", "1"], "--nodes must be in 2 ... 16"),
                             (["--sync-every", "0"], "--sync-every must be at least 1"),
                             (["--vs-gloo", "--model", "gpt"], "--vs-gloo compares workload W only")] {
            let r = try CLI.run(["bench", "scaling"] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(text), "\(args): \(r.stderr)")
        }
    }
}
