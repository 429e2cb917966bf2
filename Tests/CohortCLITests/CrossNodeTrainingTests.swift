// Training across two network-namespace nodes (made and removed by the test) with 16-bit
// gradients on the links at ZeRO stages 0, 1 and 2: the ranks stay identical replicas, and the
// loss follows the fp32 run's.
import Foundation
import XCTest

final class CrossNodeTrainingTests: XCTestCase {
    func testBF16GradientsAcrossTwoNodesTrackFP32() throws {
        try TestNodes.available()
        let dir = CLI.tempDir()
        let nodes = try TestNodes(name: "cbf\(getpid() % 100_000)", count: 2, dir: dir)
        defer {
            nodes.down()
            try? FileManager.default.removeItem(atPath: dir)
        }
        var loss: [String: Double] = [:]
        for (format, stage) in [("fp32", 1), ("bf16", 1), ("bf16", 0), ("bf16", 2)] {
            let spec = dir + "/\(format)-\(stage).yaml"
            try """
            name: cross-\(format)
            model: {kind: mlp, hidden: [100, 50]}
            data: {kind: fashion-mnist}
            train: {epochs: 1, batch_per_rank: 64, optimizer: adam, lr: 0.001, seed: 4, max_steps: 30}
            parallel: {ranks: 2, bucket_mb: 0.05, zero_stage: \(stage), grad_dtype: \(format)}
            """.write(toFile: spec, atomically: true, encoding: .utf8)
            let summary = dir + "/\(format)-\(stage).json"
            let r = try nodes.mpirun(2, ["train", spec, "--plain", "--check-replicas", "--summary-json", summary])
            XCTAssertEqual(r.status, 0, "\(format) stage \(stage): \(r.stderr)")
            let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as? [String: Any]
            loss["\(format)-\(stage)"] = obj?["final_loss"] as? Double
        }
        let fp32 = try XCTUnwrap(loss["fp32-1"])
        for key in ["bf16-1", "bf16-0", "bf16-2"] {
            let l = try XCTUnwrap(loss[key], key)
            XCTAssertEqual(l, fp32, accuracy: 0.01 * fp32, "\(key) loss \(l) against fp32's \(fp32)")
        }
    }

    func testBadGradientFormatsAreOneErrorEach() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (parallel, text) in [("grad_dtype: fp8", "parallel.grad_dtype: unknown format 'fp8' (expected fp32, bf16 or fp16)")] {
            let spec = dir + "/bad.yaml"
            try """
            name: bad
            model: {kind: mlp, hidden: [10]}
            data: {kind: fashion-mnist}
            train: {epochs: 1, batch_per_rank: 8, optimizer: sgd, lr: 0.1}
            parallel: {ranks: 1, \(parallel)}
            """.write(toFile: spec, atomically: true, encoding: .utf8)
            let r = try CLI.run(["train", spec])
            XCTAssertNotEqual(r.status, 0, parallel)
            XCTAssertTrue(r.stderr.contains(text), "\(parallel): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, r.stderr)
        }
    }
}
