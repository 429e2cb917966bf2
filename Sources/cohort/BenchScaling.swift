// Implements: `cohort bench scaling`: workload W on 1 rank and on N ranks (mpirun, one core
// each) in one invocation, alternating, each run timed in its steady state (after the warm-up
// steps, evaluation excluded). speedup = aggregate samples/s of N ranks ÷ samples/s of 1 rank.
import ArgumentParser
import Durable
import Foundation

struct BenchScaling: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scaling", abstract: "Compare 1-rank and N-rank training throughput.")

    @Option(help: "Ranks of the parallel run.") var ranks = 2
    @Option(help: "Training steps per run (the first 10 are not timed).") var steps = 120
    @Option(help: "Alternating rounds (1 rank, then N ranks); the best of each is reported.") var rounds = 2
    @Option(help: "Gradient bucket size in MB.") var bucketMb = 4.0
    @Option(help: "Directory of the Fashion-MNIST IDX files.") var data: String?

    func validate() throws {
        guard ranks >= 2 else { throw ValidationError("--ranks must be at least 2, got \(ranks)") }
        guard steps > 20 else { throw ValidationError("--steps must be above 20, got \(steps)") }
        guard rounds >= 1 else { throw ValidationError("--rounds must be at least 1, got \(rounds)") }
    }

    func run() throws {
        let dir = NSTemporaryDirectory() + "cohort-bench-scaling-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = dir + "/w.yaml"
        try AtomicFile.write("""
        name: bench-w
        model: {kind: mlp, hidden: [1024, 1024]}
        data: {kind: fashion-mnist\(data.map { ", path: \($0)" } ?? "")}
        train: {epochs: 100, batch_per_rank: 256, optimizer: adam, lr: 0.001, seed: 1, max_steps: \(steps)}
        parallel: {ranks: \(ranks), bucket_mb: \(bucketMb)}
        """, to: spec)
        var one: [Double] = [], many: [(Double, Double)] = []
        for round in 1...rounds {
            benchNote("round \(round)/\(rounds): 1 rank")
            one.append(try measure(ranks: 1, spec: spec, dir: dir).0)
            benchNote("round \(round)/\(rounds): \(ranks) ranks")
            many.append(try measure(ranks: ranks, spec: spec, dir: dir))
        }
        let s1 = one.max()!, best = many.max { $0.0 < $1.0 }!
        emitJSONLine(["bench": "scaling", "ranks": ranks, "samples_per_s_1": s1, "samples_per_s_n": best.0,
                      "speedup": best.0 / s1, "overlap_hidden": best.1, "bucket_mb": bucketMb, "steps": steps])
    }

    /// Steady samples/s and hidden share of one run, read from its summary file.
    private func measure(ranks n: Int, spec: String, dir: String) throws -> (Double, Double) {
        let summary = dir + "/summary-\(n).json"
        let args = ["train", spec, "--plain", "--summary-json", summary]
        let status: Int32
        if n == 1 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: selfPath())
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            try p.run(); p.waitUntilExit()
            status = p.terminationStatus
        } else {
            status = try MPILauncher.run(ranks: n, oversubscribe: n > ProcessInfo.processInfo.activeProcessorCount,
                                         program: selfPath(), arguments: args, quiet: true)
        }
        guard status == 0, let d = FileManager.default.contents(atPath: summary),
              let obj = try JSONSerialization.jsonObject(with: d) as? [String: Any],
              let sps = obj["steady_samples_per_s"] as? Double else {
            throw LaunchError("bench scaling: the \(n)-rank run failed (exit \(status))")
        }
        return (sps, obj["overlap_hidden"] as? Double ?? 0)
    }
}
