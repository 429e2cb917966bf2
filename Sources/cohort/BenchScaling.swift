// Implements: `cohort bench scaling`: workload W on 1 rank and on N ranks in one invocation,
// alternating, each run timed in its steady state (after the warm-up steps, evaluation excluded).
// speedup = aggregate samples/s of N ranks ÷ samples/s of 1 rank. N ranks run on this node
// (mpirun, one core each) or, with --nodes K, one per network-namespace node made for the run,
// links optionally shaped (--link-rate) and gradients between nodes in --dtype. --vs-gloo runs
// PyTorch DDP over Gloo on the same nodes (and on 1 rank) in the same rounds, so the ratios
// come from one run. --ab-env NAME=VALUE runs the N ranks a second time in each round with
// those variables set (B), so a setting's effect is measured against A in the same minutes.
import ArgumentParser
import Collectives
import Durable
import Foundation
import Train
import Wire

struct BenchScaling: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scaling", abstract: "Compare 1-rank and N-rank training throughput.")

    @OptionGroup var workload: WorkloadRunOptions
    @Option(help: "Workload: mlp (W) or gpt (G, 8 windows of 128 bytes per rank; needs 'make data').") var model = "mlp"
    @Option(help: "ZeRO stage of the N-rank run (0, 1 or 2; default: the spec default, 1, or 0 with --sync-every above 1).") var zeroStage: Int?
    @Option(help: "Run the N ranks on this many network-namespace nodes made for the run, one rank each (root; overrides --ranks).") var nodes: Int?
    @Option(help: "With --nodes: shape every node's link to this rate (tc tbf, e.g. 1gbit).") var linkRate: String?
    @Option(help: "What gradients are on the links between nodes: fp32, bf16 or fp16 (parallel.grad_dtype).") var dtype = "fp32"
    @Option(help: "parallel.sync_every of the N-rank run: average parameters every H steps (local SGD; 1: every step's gradients).") var syncEvery = 1
    @Option(parsing: .singleValue, help: "Also run the N ranks with NAME=VALUE set (repeatable), alternating with the default run in each round (an A/B).") var abEnv: [String] = []
    @Flag(help: "Also run PyTorch DDP over Gloo (launch/pytorch/ddp_w.py, /usr/bin/python3) on the same nodes, in the same rounds.") var vsGloo = false

    func validate() throws {
        guard ["mlp", "gpt"].contains(model) else { throw ValidationError("--model must be mlp or gpt, got '\(model)'") }
        if let zeroStage, !(0...2).contains(zeroStage) { throw ValidationError("--zero-stage must be 0, 1 or 2, got \(zeroStage)") }
        guard WireFormat(rawValue: dtype) != nil else { throw ValidationError("--dtype must be fp32, bf16 or fp16, got '\(dtype)'") }
        if let nodes, nodes < 2 || nodes > 16 { throw ValidationError("--nodes must be in 2 ... 16, got \(nodes)") }
        if let linkRate, nodes == nil || linkRate.range(of: #"^[0-9]+(\.[0-9]+)?[kmg]?(bit|bps)$"#, options: .regularExpression) == nil {
            throw ValidationError(nodes == nil ? "--link-rate needs --nodes" : "--link-rate must be a tc rate such as 1gbit or 500mbit, got '\(linkRate)'")
        }
        guard syncEvery >= 1 else { throw ValidationError("--sync-every must be at least 1, got \(syncEvery)") }
        if let bad = abEnv.first(where: { !$0.hasPrefix("COHORT_") || !$0.contains("=") }) {
            throw ValidationError("--ab-env must be COHORT_NAME=VALUE, got '\(bad)'")
        }
        if vsGloo, model != "mlp" { throw ValidationError("--vs-gloo compares workload W only (--model mlp)") }
    }

    func run() throws {
        if vsGloo { try GlooRun.check() }
        let ranks = nodes ?? workload.ranks
        let (steps, rounds, bucketMb) = (workload.steps, workload.rounds ?? (model == "gpt" ? 3 : 4), workload.bucketMb)
        let zeroStage = self.zeroStage ?? (syncEvery > 1 ? 0 : JobSpec.defaultZeroStage)
        let dir = try BenchRun.tempDir("scaling")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = model == "gpt" ? try BenchRun.writeGPTWorkload(dir: dir, ranks: ranks, steps: steps, bucketMB: bucketMb, data: workload.data)
                                  : try BenchRun.writeWorkload(dir: dir, ranks: ranks, steps: steps, bucketMB: bucketMb, data: workload.data)
        let specN = try Self.withParallel(spec, "grad_dtype: \(dtype)" + (syncEvery > 1 ? ", sync_every: \(syncEvery)" : ""), as: dir + "/n.yaml")
        let cluster = try nodes.map { try NamespaceNodes.up(count: $0, linkRate: linkRate, dir: dir) }
        defer { cluster?.down() }
        let place = cluster.map { "\($0.count) namespace nodes, links \(linkRate ?? "unshaped"), \(dtype) between nodes" } ?? "this node"
        var one: [Double] = [], many: [(Double, Double)] = [], manyB: [(Double, Double)] = [], gloo1: [Double] = [], glooN: [Double] = []
        var finalLoss = Double.nan
        let loadAtStart = Self.loadAverage()
        for round in 1...rounds {
            benchNote("round \(round)/\(rounds): 1 rank")
            one.append(try BenchRun.train(ranks: 1, spec: spec, dir: dir)["steady_samples_per_s"] as! Double)
            benchNote("round \(round)/\(rounds): \(ranks) ranks on \(place)")
            let r = try Self.train(ranks: ranks, nodes: cluster, spec: specN, dir: dir, extra: ["--zero-stage", "\(zeroStage)"])
            many.append((r["steady_samples_per_s"] as! Double, r["overlap_hidden"] as? Double ?? 0))
            finalLoss = r["final_loss"] as? Double ?? .nan
            if !abEnv.isEmpty {
                benchNote("round \(round)/\(rounds): \(ranks) ranks with \(abEnv.joined(separator: " "))")
                for kv in abEnv { let p = kv.split(separator: "=", maxSplits: 1); setenv(String(p[0]), p.count > 1 ? String(p[1]) : "", 1) }
                defer { for kv in abEnv { unsetenv(String(kv.split(separator: "=")[0])) } }
                let b = try Self.train(ranks: ranks, nodes: cluster, spec: specN, dir: dir, extra: ["--zero-stage", "\(zeroStage)"])
                manyB.append((b["steady_samples_per_s"] as! Double, b["overlap_hidden"] as? Double ?? 0))
            }
            benchNote(String(format: "round %d/%d: 1 rank %.1f, %d ranks %.1f", round, rounds, one.last!, ranks, many.last!.0)
                      + (manyB.isEmpty ? "" : String(format: ", B %.1f", manyB.last!.0)) + " samples/s")
            guard vsGloo else { continue }
            benchNote("round \(round)/\(rounds): PyTorch DDP (Gloo), 1 rank")
            gloo1.append(try GlooRun.run(ranks: 1, nodes: nil, steps: steps, data: workload.data)["samples_per_s"] as! Double)
            benchNote("round \(round)/\(rounds): PyTorch DDP (Gloo), \(ranks) ranks on \(place)")
            glooN.append(try GlooRun.run(ranks: ranks, nodes: cluster, steps: steps, data: workload.data)["samples_per_s"] as! Double)
        }
        let s1 = one.max()!, best = many.max { $0.0 < $1.0 }!
        let across: [String: Any] = ["nodes": nodes ?? 1, "link_rate": linkRate ?? "unshaped", "ranks": ranks, "steps": steps, "model": model]
        // Each round's own ratio and the load beside the best-of-each estimate: a 2-rank run needs
        // both cores and a 1-rank run one, so on a loaded machine the two bests come from different
        // minutes, and the reader needs the load to know whether the figure means anything.
        var line: [String: Any] = ["bench": "scaling", "impl": "cohort", "samples_per_s_1": s1, "samples_per_s_n": best.0,
                                   "speedup": best.0 / s1, "overlap_hidden": best.1, "bucket_mb": bucketMb, "zero_stage": zeroStage,
                                   "dtype": dtype, "sync_every": syncEvery, "final_loss": finalLoss,
                                   "speedup_per_round": zip(many, one).map { $0.0.0 / $0.1 }, "load_1min": [loadAtStart, Self.loadAverage()]]
        if let bestB = manyB.max(by: { $0.0 < $1.0 }) {   // A ÷ B: above 1 when the default is faster
            line["ab_env"] = abEnv; line["samples_per_s_n_b"] = bestB.0; line["overlap_hidden_b"] = bestB.1; line["a_over_b"] = best.0 / bestB.0
        }
        if vsGloo { line["vs_gloo"] = best.0 / glooN.max()!; line["vs_gloo_1"] = s1 / gloo1.max()! }
        emitJSONLine(line.merging(across) { a, _ in a })
        if vsGloo {
            emitJSONLine(["bench": "scaling", "impl": "pytorch-gloo", "samples_per_s_1": gloo1.max()!, "samples_per_s_n": glooN.max()!,
                          "speedup": glooN.max()! / gloo1.max()!, "dtype": "fp32"].merging(across) { a, _ in a })
        }
    }

    /// Runs `cohort train` on `ranks` ranks here, or across `nodes`, and returns its summary.
    static func train(ranks: Int, nodes: NamespaceNodes?, spec: String, dir: String, extra: [String]) throws -> [String: Any] {
        guard let nodes else { return try BenchRun.train(ranks: ranks, spec: spec, dir: dir, extra: extra) }
        let summary = dir + "/summary-nodes-\(UUID().uuidString).json"
        let status = try MPILauncher.run(ranks: ranks, oversubscribe: false, program: MPIRunCommand.selfExecutable(),
                                         arguments: ["train", spec, "--plain", "--summary-json", summary] + extra, quiet: true, nodes: nodes)
        guard status == 0, let d = FileManager.default.contents(atPath: summary),
              let obj = try JSONSerialization.jsonObject(with: d) as? [String: Any], obj["steady_samples_per_s"] is Double else {
            throw LaunchError("benchmark run on \(ranks) namespace nodes failed (exit \(status))")
        }
        return obj
    }

    /// The 1-minute load average (/proc/loadavg; -1 where there is none).
    static func loadAverage() -> Double {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return -1 }
        return Double(text.split(separator: " ").first ?? "") ?? -1
    }

    /// A copy of the spec at `path` with `keys` added to its `parallel:` mapping, written to `to`.
    static func withParallel(_ path: String, _ keys: String, as to: String) throws -> String {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        guard text.contains("parallel: {") else { throw LaunchError("benchmark spec has no parallel mapping") }
        try AtomicFile.write(text.replacingOccurrences(of: "parallel: {", with: "parallel: {\(keys), "), to: to)
        return to
    }
}
