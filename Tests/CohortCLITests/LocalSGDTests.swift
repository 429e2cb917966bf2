// parallel.sync_every (local SGD) under real mpirun: with H > 1 the replicas are bitwise identical
// right after each sync and differ between syncs, a run repeats bit for bit, H = 1 is today's
// per-step reduction, a resume from a checkpoint (written at sync points only) is bitwise the
// uninterrupted run, and every bad combination is one error.
import Foundation
import XCTest

final class LocalSGDTests: XCTestCase {
    private func spec(_ dir: String, syncEvery: Int?, ranks: Int, extra: String = "", checkpoint: String = "") throws -> String {
        let path = dir + "/s-\(UUID().uuidString).yaml"
        try """
            name: lsgd
            model: {kind: mlp, hidden: [64]}
            data: {kind: fashion-mnist}
            train: {epochs: 1, batch_per_rank: 32, optimizer: adam, lr: 0.001, seed: 3}
            parallel: {ranks: \(ranks)\(syncEvery.map { ", sync_every: \($0)" } ?? "")\(extra)}
            \(checkpoint)
            """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `mpirun -np ranks cohort train SPEC --max-steps steps …`: every rank's final parameters.
    private func train(_ spec: String, ranks: Int, steps: Int, dir: String, _ extra: [String] = []) throws -> [[Float]] {
        let dump = dir + "/p-\(UUID().uuidString)"
        let r = try CLI.mpirun(ranks, ["train", spec, "--plain", "--max-steps", "\(steps)", "--dump-params", dump] + extra)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try (0..<ranks).map { try CLI.floats("\(dump).rank\($0)") }
    }

    func testReplicasAgreeAtEverySyncAndTheRunRepeats() throws {
        try XCTSkipUnless(CLI.haveData, "needs the Fashion-MNIST data set")
        let dir = CLI.tempDir()
        let s = try spec(dir, syncEvery: 4, ranks: 3)
        let atSync = try train(s, ranks: 3, steps: 12, dir: dir)
        for r in 1..<3 { XCTAssertEqual(atSync[r], atSync[0], "rank \(r) differs from rank 0 right after a sync") }
        XCTAssertEqual(try train(s, ranks: 3, steps: 12, dir: dir)[0], atSync[0], "a second run differs")
        let between = try train(s, ranks: 3, steps: 10, dir: dir)
        XCTAssertNotEqual(between[1], between[0], "ranks agree between syncs: no local steps were taken")
        // --check-replicas checks at the syncs, where they must agree, not between them.
        XCTAssertEqual(try train(s, ranks: 3, steps: 10, dir: dir, ["--check-replicas"])[0], between[0])
    }

    func testSyncEveryOneIsPerStepReduction() throws {
        try XCTSkipUnless(CLI.haveData, "needs the Fashion-MNIST data set")
        let dir = CLI.tempDir()
        let perStep = try train(try spec(dir, syncEvery: nil, ranks: 2), ranks: 2, steps: 6, dir: dir)
        XCTAssertEqual(try train(try spec(dir, syncEvery: 1, ranks: 2), ranks: 2, steps: 6, dir: dir), perStep)
    }

    func testResumeFromASyncPointIsTheUninterruptedRun() throws {
        try XCTSkipUnless(CLI.haveData, "needs the Fashion-MNIST data set")
        let dir = CLI.tempDir()
        let s = try spec(dir, syncEvery: 4, ranks: 2, checkpoint: "checkpoint: {every_steps: 4, keep: 10}")
        let whole = try train(s, ranks: 2, steps: 12, dir: dir, ["--checkpoint-dir", dir + "/a"])
        _ = try train(s, ranks: 2, steps: 8, dir: dir, ["--checkpoint-dir", dir + "/b"])
        let resumed = try train(s, ranks: 2, steps: 12, dir: dir, ["--checkpoint-dir", dir + "/b", "--resume", "latest"])
        XCTAssertEqual(resumed, whole, "resumed at step 8 of 12 (sync every 4) differs from the uninterrupted run")
    }

    func testBadSyncEveryIsOneError() throws {
        let dir = CLI.tempDir()
        for (syncEvery, extra, checkpoint, text) in [
            (0, "", "", "parallel.sync_every: must be at least 1, got 0"),
            (4, ", zero_stage: 1", "", "parallel.sync_every: 4 needs zero_stage 0"),
            (4, ", grad_dtype: bf16", "", "grad_dtype must be fp32, got bf16"),
            (4, "", "checkpoint: {every_steps: 6}", "checkpoint.every_steps: 6 is not a multiple of parallel.sync_every 4"),
            (4, "", "checkpoint: {every_seconds: 60}", "checkpoint.every_seconds: not with parallel.sync_every 4"),
        ] {
            let r = try CLI.run(["train", try spec(dir, syncEvery: syncEvery, ranks: 2, extra: extra, checkpoint: checkpoint)])
            XCTAssertNotEqual(r.status, 0, text)
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(text), "\(text): \(r.stderr)")
        }
        let flag = try CLI.run(["train", try spec(dir, syncEvery: 4, ranks: 1), "--zero-stage", "2"])
        XCTAssertNotEqual(flag.status, 0)
        XCTAssertTrue(flag.stderr.contains("parallel.sync_every: 4 needs zero_stage 0, got 2"), flag.stderr)
    }
}
