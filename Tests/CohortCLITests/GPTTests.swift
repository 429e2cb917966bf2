// The gpt model end to end with real processes: a tiny GPT on a small text this test writes.
// N ranks × B windows must end with the parameters of 1 rank × N·B (clipping and the lr schedule
// on), ZeRO 1-2 with those of ZeRO 0, a resumed run with the uninterrupted one bit for bit; and
// bad input is one clear line.
import Foundation
import XCTest

final class GPTTests: XCTestCase {
    var dir = ""
    override func setUp() {
        dir = CLI.tempDir()
        // ~24 KB of text: a few sentences shuffled by a fixed LCG, so every window differs.
        let words = ["the ", "king ", "shall ", "speak ", "of ", "love, ", "and ", "night; ", "O ", "gentle ", "sir! ", "thou ", "art\n"]
        var s: UInt64 = 7, text = ""
        while text.utf8.count < 24_000 { s = s &* 6364136223846793005 &+ 1442695040888963407; text += words[Int(s >> 33) % words.count] }
        try? text.write(toFile: dir + "/corpus.txt", atomically: true, encoding: .utf8)
    }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func spec(ranks: Int = 3, steps: Int = 6, model: String = "layers: 2, heads: 2, dim: 16, context: 16",
              files: String? = nil, extra: String = "", name: String = UUID().uuidString) -> String {
        let path = "\(dir)/\(name).yaml"
        try? """
        name: tiny-gpt
        model: {kind: gpt, \(model)}
        data: {kind: text, files: [\(files ?? dir + "/corpus.txt")], eval_windows: 12}
        train: {steps: \(steps), global_batch: 6, optimizer: adamw, lr: 0.01, betas: [0.9, 0.95], weight_decay: 0.1,
                clip_norm: 0.5, schedule: {kind: cosine, warmup_steps: 2, start_factor: 0.1, end_factor: 0.1}, eval_every: 3, seed: 5\(extra)}
        parallel: {ranks: \(ranks), bucket_mb: 0.01}
        checkpoint: {every_steps: 3, keep: 2}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func params(_ ranks: Int, _ spec: String, _ extra: [String] = []) throws -> [Float] {
        let out = "\(dir)/p\(UUID().uuidString)"
        let args = ["train", spec, "--dump-params", out, "--plain", "--checkpoint-dir", "\(dir)/ck-\(UUID().uuidString)"] + extra
        let r = ranks == 1 ? try CLI.run(args) : try CLI.mpirun(ranks, args + ["--check-replicas"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return (try? CLI.floats(out + ".rank0")) ?? []
    }

    func assertEquivalent(_ a: [Float], _ b: [Float], _ what: String, tol: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        var worst: Float = 0, at = 0
        for i in 0..<min(a.count, b.count) {
            let e = abs(a[i] - b[i]) / max(abs(a[i]), 1)
            if e > worst { worst = e; at = i }
        }
        XCTAssertLessThanOrEqual(worst, tol, "\(what): element \(at) differs by \(worst)", file: file, line: line)
    }

    func testTrainPrintsValidationLossAndRanksEqualOneRank() throws {
        let s = spec()
        let one = try CLI.run(["train", s, "--dump-params", "\(dir)/one", "--plain", "--checkpoint-dir", "\(dir)/ck-one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        XCTAssertTrue(one.stdout.contains("validation loss "), one.stdout)
        XCTAssertEqual(one.stdout.components(separatedBy: "validation loss ").count - 1, 3, "steps 3 and 6, and the final line: \(one.stdout)")
        let reference = try CLI.floats("\(dir)/one.rank0")
        assertEquivalent(reference, try params(2, s, ["--zero-stage", "0"]), "2×3 vs 1×6")
        assertEquivalent(reference, try params(3, s, ["--zero-stage", "0"]), "3×2 vs 1×6")
    }

    /// COHORT_PROFILE=1: each rank's line splits the steady steps' time into on a core, waiting
    /// for one and asleep (what a loaded machine costs, apart from what training costs).
    func testProfileSplitsEachRanksTimeByWhereItWent() throws {
        let r = try CLI.mpirun(2, ["train", spec(ranks: 2, steps: 14), "--plain", "--checkpoint-dir", "\(dir)/ck-profile"],
                               environment: ["COHORT_PROFILE": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stderr.split(separator: "\n").filter { $0.contains(" per step: ") }
        XCTAssertEqual(lines.count, 2, r.stderr)
        for line in lines {
            let onCore = line.firstMatch(of: #/compute thread on a core ([0-9.]+) ms, waiting for one ([0-9.]+) ms, asleep ([0-9.]+) ms; process on cores ([0-9.]+) ms/#)
            let m = try XCTUnwrap(onCore, String(line))
            XCTAssertGreaterThan(Double(m.1) ?? 0, 0, String(line))
            XCTAssertGreaterThanOrEqual(Double(m.4) ?? 0, Double(m.1) ?? .infinity, "the process includes its compute thread: \(line)")
        }
    }

    func testZeroStagesAndAccumulationMatchStageZero() throws {
        let s = spec(), acc = spec(extra: ", accumulation: 3")
        let zero = try params(3, s, ["--zero-stage", "0"])
        XCTAssertEqual(zero, try params(3, s, ["--zero-stage", "1"]), "ZeRO 1 must give ZeRO 0's bits")
        XCTAssertEqual(zero, try params(3, s, ["--zero-stage", "2"]), "ZeRO 2 must give ZeRO 0's bits")
        assertEquivalent(zero, try params(2, acc, ["--zero-stage", "2"]), "2×(3×1) at ZeRO 2 vs 3×2")
    }

    func testResumeEqualsTheUninterruptedRunBitForBit() throws {
        let s = spec(ranks: 2, extra: "", name: "resume")
        let full = try params(2, s)
        let ck = "\(dir)/ck"
        var r = try CLI.mpirun(2, ["train", s, "--checkpoint-dir", ck, "--max-steps", "3", "--plain"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let out = "\(dir)/resumed"
        r = try CLI.mpirun(2, ["train", s, "--checkpoint-dir", ck, "--resume", "latest", "--dump-params", out, "--plain"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(full, try CLI.floats(out + ".rank0"), "resumed at step 3 must end with the uninterrupted run's bits")
    }

    func testTrainingEndsWithACheckpointOfTheFinalStepThatSampleUses() throws {
        // every_steps 3 and 4 steps: the periodic checkpoint is of step 3, the final one of step 4.
        let ck = "\(dir)/ck-final"
        let t = try CLI.mpirun(2, ["train", spec(ranks: 2, steps: 4), "--checkpoint-dir", ck, "--plain", "--dump-params", "\(dir)/final"])
        XCTAssertEqual(t.status, 0, t.stderr)
        for step in [3, 4] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: "\(ck)/step-0000000\(step)/manifest.json"), "step \(step)'s checkpoint")
        }
        let args = ["--prompt", "the ", "--tokens", "20", "--seed", "1"]
        let latest = try CLI.run(["sample", ck] + args), final = try CLI.run(["sample", "\(ck)/step-00000004"] + args)
        XCTAssertEqual(latest.status, 0, latest.stderr)
        XCTAssertEqual(latest.stdout, final.stdout, "sample of the directory reads the final step's checkpoint")
        let exported = "\(dir)/exported"
        let e = try CLI.run(["export", ck, exported])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertEqual(try CLI.floats(exported), try CLI.floats("\(dir)/final.rank0"), "the export holds the trained parameters")
    }

    func testSampleIsSeededAndRefusesBadInput() throws {
        let ck = "\(dir)/ck-sample"
        let t = try CLI.run(["train", spec(ranks: 1, steps: 3), "--checkpoint-dir", ck, "--plain"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let args = ["sample", ck, "--prompt", "the king ", "--tokens", "40", "--temperature", "0.9", "--seed", "3"]
        let a = try CLI.run(args), b = try CLI.run(args), c = try CLI.run(Array(args.dropLast()) + ["4"])
        XCTAssertEqual(a.status, 0, a.stderr)
        XCTAssertTrue(a.stdout.hasPrefix("the king "), a.stdout)
        XCTAssertTrue(a.stdout.hasSuffix("\n") && a.stdout.unicodeScalars.count > 9 + 10, "prompt, then 40 bytes (invalid UTF-8 shows as U+FFFD): \(a.stdout)")
        XCTAssertEqual(a.stdout, b.stdout, "same seed, same text")
        XCTAssertNotEqual(a.stdout, c.stdout, "another seed, another text")
        let long = try CLI.run(["sample", ck, "--prompt", String(repeating: "x", count: 17)])
        XCTAssertNotEqual(long.status, 0)
        XCTAssertTrue(long.stderr.contains("--prompt: 17 bytes exceed the model's context of 16"), long.stderr)
        guard CLI.haveData else { return }
        let mlp = "\(dir)/mlp.yaml", mck = "\(dir)/ck-mlp"
        try """
        name: mlp
        model: {kind: mlp, hidden: [8]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 8, optimizer: adam, lr: 0.001, max_steps: 2}
        checkpoint: {every_steps: 2}
        """.write(toFile: mlp, atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["train", mlp, "--checkpoint-dir", mck]).status, 0)
        let other = try CLI.run(["sample", mck])
        XCTAssertNotEqual(other.status, 0)
        XCTAssertTrue(other.stderr.contains("holds a mlp model; cohort sample needs a gpt checkpoint"), other.stderr)
    }

    func testBadInputIsOneClearLine() throws {
        func error(_ s: String) throws -> String {
            let r = try CLI.run(["train", s])
            XCTAssertNotEqual(r.status, 0)
            return r.stderr.split(separator: "\n").first { $0.hasPrefix("error:") }.map(String.init) ?? r.stderr
        }
        XCTAssertTrue(try error(spec(model: "layers: 1, heads: 3, dim: 16, context: 16")).contains("model.heads: 3 heads do not divide dim 16"))
        try Data().write(to: URL(fileURLWithPath: dir + "/empty.txt"))
        XCTAssertTrue(try error(spec(files: dir + "/empty.txt")).contains("text file \(dir)/empty.txt is empty"))
        XCTAssertTrue(try error(spec(files: dir + "/missing.txt")).contains("data file not found: \(dir)/missing.txt"))
    }
}
