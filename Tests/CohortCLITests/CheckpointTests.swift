// Checkpoints under mpirun: resume is bit for bit, a ZeRO-1 checkpoint of 3 ranks resumes on 2
// and on 1, corrupt files are refused naming the file, `latest` falls back past broken ones, and
// SIGKILL in the middle of writes never leaves `latest` without a valid checkpoint.
import Foundation
import XCTest

final class CheckpointTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func spec(batch: Int, stage: Int = 1, every: Int = 6, hidden: String = "[100, 50]", keep: Int = 2) -> String {
        let path = "\(dir)/b\(batch)s\(stage)e\(every)\(hidden.count).yaml"
        try? """
        name: ck
        model: {kind: mlp, hidden: \(hidden)}
        data: {kind: fashion-mnist}
        train: {epochs: 3, batch_per_rank: \(batch), optimizer: adam, lr: 0.001, seed: 9}
        parallel: {ranks: 4, bucket_mb: 0.1, zero_stage: \(stage)}
        checkpoint: {every_steps: \(every), keep: \(keep)}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// `cohort train` on n ranks (1 = no mpirun); returns the rank-0 parameters it dumped.
    @discardableResult
    func train(_ n: Int, _ spec: String, _ args: [String], dump: String) throws -> [Float] {
        let all = ["train", spec, "--dump-params", "\(dir)/\(dump)"] + args
        let r = n == 1 ? try CLI.run(all) : try CLI.mpirun(n, all)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try CLI.floats("\(dir)/\(dump).rank0")
    }

    func maxRelative(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1) / max(abs($1.0), 1)) }
    }

    func testResumeEqualsTheUninterruptedRunBitForBit() throws {
        try XCTSkipUnless(CLI.haveData)
        for stage in [0, 2] {
            let s = spec(batch: 32, stage: stage)
            let whole = try train(2, s, ["--max-steps", "12", "--checkpoint-dir", "\(dir)/a\(stage)"], dump: "whole\(stage)")
            try train(2, s, ["--max-steps", "6", "--checkpoint-dir", "\(dir)/b\(stage)"], dump: "first\(stage)")
            let resumed = try train(2, s, ["--max-steps", "12", "--checkpoint-dir", "\(dir)/b\(stage)", "--resume", "latest"], dump: "second\(stage)")
            XCTAssertEqual(whole, resumed, "stage \(stage): resumed run differs from the uninterrupted one")
        }
    }

    func testAThreeRankZeroOneCheckpointResumesOnTwoRanksAndOnOne() throws {
        try XCTSkipUnless(CLI.haveData)
        // The global batch stays 96: 3 × 32, 2 × 48, 1 × 96.
        let ckpt = "\(dir)/three"
        let atSix = try train(3, spec(batch: 32), ["--max-steps", "6", "--checkpoint-dir", ckpt], dump: "three")
        // Resharding loses nothing: the checkpoint's parameters are the 3-rank run's, bit for bit.
        let export = try CLI.run(["export", ckpt + "/step-00000006", "\(dir)/exported.bin"])
        XCTAssertEqual(export.status, 0, export.stderr)
        XCTAssertEqual(try CLI.floats("\(dir)/exported.bin"), atSix)
        let reference = try train(1, spec(batch: 96), ["--max-steps", "12", "--checkpoint-dir", "\(dir)/ref"], dump: "ref")
        for (n, batch) in [(2, 48), (1, 96)] {
            try FileManager.default.copyItem(atPath: ckpt, toPath: "\(ckpt)\(n)")
            let resumed = try train(n, spec(batch: batch), ["--max-steps", "12", "--checkpoint-dir", "\(ckpt)\(n)", "--resume", "latest"],
                                    dump: "resumed\(n)")
            // Only summation order differs from the single-rank reference (see DataParallelTests).
            XCTAssertLessThanOrEqual(maxRelative(reference, resumed), 1e-5, "3 → \(n) ranks")
        }
    }

    func testCorruptAndTruncatedFilesAreRefusedAndLatestFallsBack() throws {
        try XCTSkipUnless(CLI.haveData)
        let ckpt = "\(dir)/c"
        try train(2, spec(batch: 32, every: 3, keep: 5), ["--max-steps", "9", "--checkpoint-dir", ckpt], dump: "c")
        let newest = ckpt + "/step-00000009", middle = ckpt + "/step-00000006"
        XCTAssertEqual(try CLI.run(["eval", newest]).status, 0)
        // Flip bytes in one shard.
        let shard = URL(fileURLWithPath: newest + "/rank-00001.bin")
        var bytes = try Data(contentsOf: shard)
        bytes[100] ^= 0xFF; bytes[101] ^= 0x0F
        try bytes.write(to: shard)
        let flipped = try CLI.run(["eval", newest])
        XCTAssertEqual(flipped.status, 1)
        XCTAssertTrue(flipped.stderr.contains("error: checkpoint file \(newest)/rank-00001.bin is corrupt: CRC32"), flipped.stderr)
        // `latest` skips it, says so, and takes the one before.
        let fallback = try CLI.run(["eval", ckpt])
        XCTAssertEqual(fallback.status, 0, fallback.stderr)
        XCTAssertTrue(fallback.stderr.contains("step-00000009 is invalid"), fallback.stderr)
        XCTAssertTrue(fallback.stdout.contains("step-00000006 step 6"), fallback.stdout)
        // Truncate a file of the middle one.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: middle + "/rank-00000.bin"))
        try handle.truncate(atOffset: 1000)
        try handle.close()
        let truncated = try CLI.run(["eval", middle])
        XCTAssertTrue(truncated.stderr.contains("error: checkpoint file \(middle)/rank-00000.bin has 1000 bytes, the manifest says"), truncated.stderr)
        XCTAssertTrue(try CLI.run(["eval", ckpt]).stdout.contains("step-00000003 step 3"))
        // An unknown format version.
        let manifest = ckpt + "/step-00000003/manifest.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8).replacingOccurrences(of: "\"format_version\" : 1", with: "\"format_version\" : 99")
        try text.write(toFile: manifest, atomically: true, encoding: .utf8)
        let version = try CLI.run(["eval", ckpt + "/step-00000003"])
        XCTAssertTrue(version.stderr.contains("has format version 99; this cohort reads version 1"), version.stderr)
        let none = try CLI.run(["eval", ckpt])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("error: no valid checkpoint in \(ckpt)"), none.stderr)
    }

    func testRetentionKeepsTheNewestCommittedOnly() throws {
        try XCTSkipUnless(CLI.haveData)
        let ckpt = "\(dir)/r"
        try train(2, spec(batch: 32, every: 2, keep: 2), ["--max-steps", "10", "--checkpoint-dir", ckpt], dump: "r")
        let names = try FileManager.default.contentsOfDirectory(atPath: ckpt).sorted()
        XCTAssertEqual(names, ["LATEST", "step-00000008", "step-00000010"])
        XCTAssertEqual(try String(contentsOfFile: ckpt + "/LATEST", encoding: .utf8), "step-00000010\n")
    }

    func testSIGKILLDuringCheckpointWritesAlwaysLeavesAValidLatest() throws {
        try XCTSkipUnless(CLI.haveData)
        // A checkpoint every step (≈ 2.7 MB of state per rank), and a rank killed at a random moment, 8 times over.
        let s = spec(batch: 32, every: 1, hidden: "[512, 256]", keep: 3)
        let ckpt = "\(dir)/k"
        var rng = SystemRandomNumberGenerator()
        var committed: [Int] = []
        for round in 0..<8 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "2", "-x", "PMIX_MCA_gds", CLI.binary, "train", s,
                           "--checkpoint-dir", ckpt, "--resume", "auto", "--plain"]
            var env = ProcessInfo.processInfo.environment
            env["PMIX_MCA_gds"] = "hash"
            p.environment = env
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            // Once the run is training (a checkpoint committed in this round), kill at a random moment.
            let before = (try? String(contentsOfFile: ckpt + "/LATEST", encoding: .utf8)) ?? ""
            let deadline = Date().addingTimeInterval(30)
            while ((try? String(contentsOfFile: ckpt + "/LATEST", encoding: .utf8)) ?? "") == before && Date() < deadline { usleep(20_000) }
            usleep(UInt32.random(in: 0 ... 1_000_000, using: &rng))
            // SIGKILL one rank: the one whose command line names this test's directory.
            let pids = try CLI.pids(matching: ckpt)
            XCTAssertFalse(pids.isEmpty, "round \(round): no rank found")
            if let victim = pids.randomElement(using: &rng) { kill(victim, SIGKILL) }
            p.waitUntilExit()
            let r = try CLI.run(["eval", ckpt])
            XCTAssertEqual(r.status, 0, "round \(round): latest does not load: \(r.stderr)")
            if let step = r.stdout.split(separator: " ").drop(while: { $0 != "step" }).dropFirst().first.flatMap({ Int($0.dropLast()) }) {
                committed.append(step)
            }
        }
        XCTAssertEqual(committed, committed.sorted(), "resumed runs went backwards: \(committed)")
        XCTAssertGreaterThan(committed.last ?? 0, 1)
    }
}
