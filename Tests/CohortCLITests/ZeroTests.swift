// ZeRO stages 1 and 2 under mpirun must end with the bits of stage 0 (plain data-parallel),
// identical on all ranks, with 2, 3 and 4 ranks; with accumulation stage 1 gives stage 0's bits
// and stage 2 (which reduces every micro-batch and adds the means, not the micro-batches) agrees
// within 1e-6 relative; node-shared buffers (the default on one node: zero-copy reductions, one
// copy of the parameters at stages 1–2) give the same bits as private buffers and the ring; the
// memory limit refuses stage 0 and admits stage 2.
import Foundation
import XCTest

final class ZeroTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func spec(_ extra: String = "", hidden: String = "[100, 50]", parallelExtra: String = "") -> String {
        let path = "\(dir)/s\(abs((extra + hidden + parallelExtra).hashValue)).yaml"
        try? """
        name: zero
        model: {kind: mlp, hidden: \(hidden)}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 32, optimizer: adam, lr: 0.001, seed: 9, max_steps: 6\(extra)}
        parallel: {ranks: 4, bucket_mb: 0.1\(parallelExtra)}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// The parameters of every rank after training; `shared`: whether stages 1–2 may keep one
    /// node-shared copy of the parameters (asserted to have happened) or must allgather them.
    func run(_ n: Int, stage: Int, spec: String, shared: Bool = true) throws -> [[Float]] {
        let tag = "\(dir)/n\(n)z\(stage)\(shared)\(abs(spec.hashValue))"
        let r = try CLI.mpirun(n, ["train", spec, "--zero-stage", "\(stage)", "--dump-params", tag, "--check-replicas"],
                               environment: ["COHORT_NODE_SHARED": shared ? "1" : "0"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let said = (r.stdout + r.stderr).contains("parameters shared on this node")
        XCTAssertEqual(said, shared && stage > 0, "stage \(stage), shared \(shared): \(r.stderr)")
        return try (0..<n).map { try CLI.floats("\(tag).rank\($0)") }
    }

    func assertSameBits(_ a: [Float], _ b: [Float], _ what: String) {
        XCTAssertEqual(a.count, b.count, what)
        let differ = zip(a, b).enumerated().filter { $0.element.0.bitPattern != $0.element.1.bitPattern }
        XCTAssertTrue(differ.isEmpty, "\(what): \(differ.count) elements differ in their bits, the first at \(differ.first?.offset ?? -1)")
    }

    func assertClose(_ a: [Float], _ b: [Float], _ what: String) {
        var worst: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i]) / max(abs(a[i]), 1)) }
        XCTAssertLessThanOrEqual(worst, 1e-6, "\(what): max relative difference \(worst)")
    }

    func testStagesOneAndTwoMatchStageZeroOnTwoThreeAndFourRanks() throws {
        try XCTSkipUnless(CLI.haveData)
        for n in [2, 3, 4] {
            let s = spec()
            var base: [Float] = []
            for stage in [0, 1, 2] {
                let z = try run(n, stage: stage, spec: s)
                if stage == 0 { base = z[0] } else { assertSameBits(base, z[0], "\(n) ranks, stage \(stage)") }
                for r in 1..<n { XCTAssertEqual(z[r], z[0], "stage \(stage): rank \(r) differs from rank 0") }
                // Private buffers and the ring give the same bits as node-shared ones (zero-copy
                // reductions; at stages 1–2 one copy of the parameters).
                let ring = try run(n, stage: stage, spec: s, shared: false)
                for r in 0..<n { XCTAssertEqual(ring[r], z[0], "stage \(stage), \(n) ranks, private buffers: rank \(r) differs from the shared run") }
            }
        }
        // Rank 0 removes the shared objects' names once every rank has mapped them. Each name
        // carries its rank 0's pid: one whose process is gone was left behind (a live one belongs
        // to a run of another test going on at the same time).
        let left = try FileManager.default.contentsOfDirectory(atPath: "/dev/shm").filter { name in
            guard name.hasPrefix("cohort-") else { return false }
            guard let pid = name.split(separator: "-").dropFirst().first.flatMap({ pid_t($0) }) else { return true }   // not a name NodeMemory makes
            return kill(pid, 0) != 0 && errno == ESRCH
        }
        XCTAssertEqual(left, [], "shared-memory objects left in /dev/shm by ranks that have exited")
    }

    func testStageTwoWithAccumulationMatchesStageZero() throws {
        try XCTSkipUnless(CLI.haveData)
        let s = spec(", accumulation: 4")
        let base = try run(3, stage: 0, spec: s)[0]
        XCTAssertEqual(try run(3, stage: 0, spec: s, shared: false)[0], base, "accumulation, stage 0: private buffers differ")
        for stage in [1, 2] {
            let z = try run(3, stage: stage, spec: s)[0]
            if stage == 1 { assertSameBits(base, z, "accumulation, stage 1") } else { assertClose(base, z, "accumulation, stage 2") }
            XCTAssertEqual(try run(3, stage: stage, spec: s, shared: false)[0], z, "accumulation, stage \(stage): private buffers differ")
        }
    }

    func testAModelTooLargeForPlainDataParallelTrainsWithStageTwoUnderTheLimit() throws {
        try XCTSkipUnless(CLI.haveData)
        // MLP 784-2048-2048-10: Ψ = 5.8 M. Stage 0 holds 16Ψ = 89 MB per rank; stage 2 on 3 ranks
        // about 4Ψ + 4Ψ/3 + 8Ψ/3 + one bucket ≈ 50 MB. The limit, 64 MB, sits between.
        let s = spec(hidden: "[2048, 2048]", parallelExtra: ", memory_limit_mb: 64, bucket_mb: 8")
        let refused = try CLI.mpirun(3, ["train", s, "--zero-stage", "0"])
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue(refused.stderr.contains("above parallel.memory_limit_mb 64.0; use a higher zero_stage or more ranks"), refused.stderr)
        let summary = dir + "/big.json"
        let ok = try CLI.mpirun(3, ["train", s, "--zero-stage", "2", "--summary-json", summary, "--max-steps", "3"])
        XCTAssertEqual(ok.status, 0, ok.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: summary))) as! [String: Any]
        let total = (obj["param_bytes"] as! Int) + (obj["grad_bytes"] as! Int) + (obj["optimizer_bytes"] as! Int)
        XCTAssertLessThan(total, 64 << 20)
        XCTAssertEqual(obj["steps"] as? Int, 3)
    }
}
