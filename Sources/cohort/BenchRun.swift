// Implements: the pieces the training benchmarks share: workload W as a temporary job spec, and
// one `cohort train` run (alone or under mpirun) whose summary JSON is read back.
import ArgumentParser
import Durable
import Foundation
import Wire

/// Options of the benchmarks that train workload W on several ranks (scaling, zero).
struct WorkloadRunOptions: ParsableArguments {
    @Option(help: "Ranks of the parallel runs.") var ranks = 2
    @Option(help: "Training steps per run (the first 10 are not timed).") var steps = 120
    // Rounds: interference from other processes only slows a run, and a 2-rank run on 2 cores is
    // hit by any of them while a 1-rank run is not, so each side's best is the estimate, and 2
    // rounds gave 1.80-1.97x for W on a quiet machine; 4 alternating rounds (W's runs are short;
    // 3 for G's) let both sides reach an undisturbed run before the ratio is taken.
    @Option(help: "Rounds over the compared runs, alternating; the best samples/s of each is reported (default: scaling 4, or 3 with --model gpt; zero 4).") var rounds: Int?
    @Option(help: "Gradient bucket size in MB.") var bucketMb = 4.0
    @Option(help: "Directory of the Fashion-MNIST IDX files.") var data: String?

    func validate() throws {
        guard ranks >= 2 else { throw ValidationError("--ranks must be at least 2, got \(ranks)") }
        guard steps > 20 else { throw ValidationError("--steps must be above 20, got \(steps)") }
        if let rounds, rounds < 1 { throw ValidationError("--rounds must be at least 1, got \(rounds)") }
    }
}

enum BenchRun {
    /// Workload W (../shared/benchmark.md) as spec text: `train` and `parallel` extras are appended
    /// inside their mappings, `more` adds top-level lines.
    static func workload(name: String, ranks: Int, data: String?, train: String = "", parallel: String = "", more: String = "") -> String {
        """
        name: \(name)
        model: {kind: mlp, hidden: [1024, 1024]}
        data: {kind: fashion-mnist\(data.map { ", path: \($0)" } ?? "")}
        train: {epochs: 1000, batch_per_rank: 256, optimizer: adam, lr: 0.001, seed: 1\(train)}
        parallel: {ranks: \(ranks)\(parallel)}
        \(more)
        """
    }

    /// Writes workload W for `ranks` ranks and `steps` steps to DIR/w.yaml.
    static func writeWorkload(dir: String, ranks: Int, steps: Int, bucketMB: Double, data: String?) throws -> String {
        let spec = dir + "/w.yaml"
        try AtomicFile.write(workload(name: "bench-w", ranks: ranks, data: data, train: ", max_steps: \(steps)", parallel: ", bucket_mb: \(bucketMB)"),
                             to: spec)
        return spec
    }

    /// Workload G (a gpt on the Shakespeare corpus, 8 windows per rank) for `ranks` ranks and
    /// `steps` steps to DIR/g.yaml; evaluation only at the end, outside the steady-state timing.
    static func writeGPTWorkload(dir: String, ranks: Int, steps: Int, bucketMB: Double, data: String?) throws -> String {
        let spec = dir + "/g.yaml"
        try AtomicFile.write("""
            name: bench-g
            model: {kind: gpt, layers: 4, heads: 4, dim: 256, context: 128}
            data: {kind: shakespeare\(data.map { ", path: \($0)" } ?? ""), eval_windows: 8}
            train: {steps: \(steps), batch_per_rank: 8, optimizer: adamw, lr: 0.001, betas: [0.9, 0.95], weight_decay: 0.1, clip_norm: 1.0,
                    schedule: {kind: cosine, warmup_steps: 100, start_factor: 0.01, end_factor: 0.1}, seed: 1}
            parallel: {ranks: \(ranks), bucket_mb: \(bucketMB)}
            """, to: spec)
        return spec
    }

    /// A fresh temporary directory for one benchmark.
    static func tempDir(_ name: String) throws -> String {
        let dir = NSTemporaryDirectory() + "cohort-bench-\(name)-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    /// Runs `cohort train SPEC extra…` on `ranks` ranks and returns its summary object.
    static func train(ranks n: Int, spec: String, dir: String, extra: [String] = []) throws -> [String: Any] {
        let summary = dir + "/summary-\(n)-\(UUID().uuidString).json"
        let args = ["train", spec, "--plain", "--summary-json", summary] + extra
        let status: Int32
        if n == 1 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: MPIRunCommand.selfExecutable())
            p.arguments = args
            p.standardOutput = FileHandle.nullDevice
            try p.run()
            p.waitUntilExit()
            status = p.terminationStatus
        } else {
            status = try MPILauncher.run(ranks: n, oversubscribe: n > ProcessInfo.processInfo.activeProcessorCount,
                                         program: MPIRunCommand.selfExecutable(), arguments: args, quiet: true)
        }
        guard status == 0, let d = FileManager.default.contents(atPath: summary),
              let obj = try JSONSerialization.jsonObject(with: d) as? [String: Any], obj["steady_samples_per_s"] is Double else {
            throw LaunchError("benchmark run on \(n) rank(s) failed (exit \(status))")
        }
        return obj
    }
}
