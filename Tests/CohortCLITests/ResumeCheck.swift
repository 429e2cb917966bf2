// Tests helper: what a fault test checks at its end: a job that was restarted (and maybe resized)
// must hold the parameters of a clean `cohort train` that resumed from the same checkpoint at the
// same world size.
import Foundation
import XCTest

enum ResumeCheck {
    /// Workload W's model (784-1024-1024-10, Adam) with a global batch that 1…`ranks` ranks split.
    static func spec(steps: Int, ranks: Int = 2, minRanks: Int = 2, restarts: Int = 3, globalBatch: Int = 512) -> String {
        """
        name: fault
        model: {kind: mlp, hidden: [1024, 1024]}
        data: {kind: fashion-mnist}
        train: {epochs: 100, global_batch: \(globalBatch), optimizer: adam, lr: 0.001, seed: 3, max_steps: \(steps)}
        parallel: {ranks: \(ranks), min_ranks: \(minRanks)}
        checkpoint: {every_steps: 10, keep: 100}
        fault: {max_restarts: \(restarts)}

        """
    }

    /// A clean `cohort train` on `ranks` ranks from checkpoint `from` (nil: from the start) up to
    /// `steps`; returns the parameters of its last checkpoint.
    static func cleanResume(_ spec: String, ranks: Int, from: String?, steps: Int, dir: String) throws -> [Float] {
        let file = dir + "/clean-\(ranks)-\(UUID().uuidString).yaml", out = dir + "/clean-\(UUID().uuidString)"
        try spec.write(toFile: file, atomically: true, encoding: .utf8)
        let args = ["train", file, "--checkpoint-dir", out, "--max-steps", "\(steps)", "--plain"] + (from.map { ["--resume", $0] } ?? [])
        let r = ranks == 1 ? try CLI.run(args) : try CLI.mpirun(ranks, args)
        XCTAssertEqual(r.status, 0, r.stderr)
        return try exported(out + "/step-\(String(format: "%08d", steps))", dir: dir)
    }

    static func exported(_ checkpoint: String, dir: String) throws -> [Float] {
        let out = dir + "/export-\(UUID().uuidString).bin"
        let r = try CLI.run(["export", checkpoint, out])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try CLI.floats(out)
    }

    /// The largest relative difference (infinite when the lengths differ).
    static func difference(_ a: [Float], _ b: [Float]) -> Float {
        guard a.count == b.count, !a.isEmpty else { return .infinity }
        return zip(a, b).map { abs($0 - $1) / max(abs($1), 1e-3) }.max() ?? .infinity
    }

    static func assertClose(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        let worst = difference(a, b)
        XCTAssertLessThanOrEqual(worst, 1e-6, "\(what): largest relative difference \(worst)", file: file, line: line)
    }

    static func checkpoint(_ c: JobQueries, _ job: String, step: Int) -> String {
        c.checkpoints(job) + "/step-\(String(format: "%08d", step))"
    }

    /// How far the job's final checkpoint (at `steps`) is from a clean run that resumed from the
    /// checkpoint its last attempt started at, on that attempt's number of ranks.
    static func lastAttemptDifference(_ c: JobQueries, job: String, spec: String, steps: Int) throws -> Float {
        guard let last = try c.history(job).last, let ranks = last["ranks"] as? Int else { return .infinity }
        let start = last["start_step"] as? Int ?? 0
        let clean = try cleanResume(spec, ranks: ranks, from: start > 0 ? checkpoint(c, job, step: start) : nil, steps: steps, dir: c.dir)
        return difference(try exported(checkpoint(c, job, step: steps), dir: c.dir), clean)
    }
}
