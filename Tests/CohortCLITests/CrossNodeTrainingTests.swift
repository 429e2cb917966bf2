// Training across two network-namespace nodes (made and removed by the test) with 16-bit
// gradients on the links at ZeRO stages 0, 1 and 2: the ranks stay identical replicas, and the
// loss follows the fp32 run's. With the gradients cut into pieces (COHORT_PIECE_KB, so that this
// small MLP's layers are cut too), served earliest layer first and stepped layer by layer in the
// next forward, 2 nodes × B still end with the parameters of 1 rank × 2B.
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

    func testGradientPiecesAcrossTwoNodesEqualOneRankWithTwiceTheBatch() throws {
        try TestNodes.available()
        let dir = CLI.tempDir()
        let nodes = try TestNodes(name: "cpc\(getpid() % 100_000)", count: 2, dir: dir)
        defer {
            nodes.down()
            try? FileManager.default.removeItem(atPath: dir)
        }
        func spec(_ name: String, batch: Int, stage: Int, extra: String = "") throws -> String {
            let path = dir + "/\(name).yaml"
            try """
            name: pieces
            model: {kind: mlp, hidden: [100, 50]}
            data: {kind: fashion-mnist}
            train: {epochs: 1, batch_per_rank: \(batch), optimizer: adam, lr: 0.001, seed: 4, max_steps: 8\(extra)}
            parallel: {ranks: 2, bucket_mb: 0.05, zero_stage: \(stage)}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let one = try CLI.run(["train", try spec("one", batch: 128, stage: 0), "--dump-params", dir + "/one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let reference = try CLI.floats(dir + "/one.rank0")
        for (stage, env) in [(0, ["COHORT_PIECE_KB": "16", "COHORT_TRACE": "1"]), (1, ["COHORT_PIECE_KB": "16"]),
                             (0, ["COHORT_PIECE_KB": "16", "COHORT_FORWARD_WAITS": "0"])] {
            let name = "n\(stage)-\(env.keys.sorted().joined(separator: "-"))"
            // No --check-replicas: it settles every step, so the next forward would never step a bucket.
            let r = try nodes.mpirun(environments: [env, env], ["train", try spec(name, batch: 64, stage: stage), "--plain",
                                                                "--dump-params", dir + "/" + name])
            XCTAssertEqual(r.status, 0, "stage \(stage) \(env): \(r.stderr)")
            // "trace PID ready BUCKET NS" lines: whole layers make one bucket at 0.05 MB; 16 KB
            // pieces make 11 (layer 1's 5-row pieces of 15.7 KB two by two, then layers 2–3).
            if env["COHORT_TRACE"] != nil {
                let buckets = r.stderr.split(separator: "\n").compactMap { line -> Int? in
                    let f = line.split(separator: " ")
                    return f.count == 5 && f[0] == "trace" && f[2] == "ready" ? Int(f[3]) : nil
                }
                XCTAssertEqual(buckets.max(), 10, "the layers were not cut: \(buckets.count) ready lines")
                // The step waits for buckets in index order (last layer first); the next forward
                // waits for layer 1's buckets first, then layer 2's, whose indices are lower.
                var waits: [Substring: [Int]] = [:]   // per process
                for line in r.stderr.split(separator: "\n") {
                    let f = line.split(separator: " ")
                    if f.count == 5 && f[0] == "trace" && f[2] == "wait", let b = Int(f[3]) { waits[f[1], default: []].append(b) }
                }
                XCTAssertEqual(waits.count, 2)
                for (pid, w) in waits { XCTAssertTrue(zip(w, w.dropFirst()).contains { $1 < $0 }, "\(pid): no forward waited per layer: \(w.prefix(30))") }
            }
            XCTAssertEqual(try CLI.floats(dir + "/\(name).rank0").map(\.bitPattern), try CLI.floats(dir + "/\(name).rank1").map(\.bitPattern),
                           "stage \(stage) \(env): the replicas differ")
            for rank in 0..<2 {
                let got = try CLI.floats(dir + "/\(name).rank\(rank)")
                XCTAssertEqual(got.count, reference.count)
                let worst = zip(got, reference).map { abs($0 - $1) / max(abs($1), 1) }.enumerated().max { $0.element < $1.element }
                XCTAssertLessThanOrEqual(worst?.element ?? 1, 1e-5, "stage \(stage) \(env) rank \(rank): element \(worst?.offset ?? -1)")
            }
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
