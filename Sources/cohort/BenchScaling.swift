// Implements: `cohort bench scaling`: workload W on 1 rank and on N ranks (mpirun, one core
// each) in one invocation, alternating, each run timed in its steady state (after the warm-up
// steps, evaluation excluded). speedup = aggregate samples/s of N ranks ÷ samples/s of 1 rank.
import ArgumentParser
import Foundation
import Train

struct BenchScaling: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "scaling", abstract: "Compare 1-rank and N-rank training throughput.")

    @OptionGroup var workload: WorkloadRunOptions
    @Option(help: "Workload: mlp (W) or gpt (G, 8 windows of 128 bytes per rank; needs 'make data').") var model = "mlp"
    @Option(help: "ZeRO stage of the N-rank run (0, 1 or 2; default: the spec default, 1).") var zeroStage = JobSpec.defaultZeroStage

    func validate() throws {
        guard ["mlp", "gpt"].contains(model) else { throw ValidationError("--model must be mlp or gpt, got '\(model)'") }
        guard (0...2).contains(zeroStage) else { throw ValidationError("--zero-stage must be 0, 1 or 2, got \(zeroStage)") }
    }

    func run() throws {
        let (ranks, steps, rounds, bucketMb) = (workload.ranks, workload.steps, workload.rounds, workload.bucketMb)
        let dir = try BenchRun.tempDir("scaling")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = model == "gpt" ? try BenchRun.writeGPTWorkload(dir: dir, ranks: ranks, steps: steps, bucketMB: bucketMb, data: workload.data)
                                  : try BenchRun.writeWorkload(dir: dir, ranks: ranks, steps: steps, bucketMB: bucketMb, data: workload.data)
        var one: [Double] = [], many: [(Double, Double)] = []
        for round in 1...rounds {
            benchNote("round \(round)/\(rounds): 1 rank")
            one.append(try BenchRun.train(ranks: 1, spec: spec, dir: dir)["steady_samples_per_s"] as! Double)
            benchNote("round \(round)/\(rounds): \(ranks) ranks")
            let r = try BenchRun.train(ranks: ranks, spec: spec, dir: dir, extra: ["--zero-stage", "\(zeroStage)"])
            many.append((r["steady_samples_per_s"] as! Double, r["overlap_hidden"] as? Double ?? 0))
        }
        let s1 = one.max()!, best = many.max { $0.0 < $1.0 }!
        emitJSONLine(["bench": "scaling", "model": model, "ranks": ranks, "samples_per_s_1": s1, "samples_per_s_n": best.0,
                      "speedup": best.0 / s1, "overlap_hidden": best.1, "bucket_mb": bucketMb, "steps": steps, "zero_stage": zeroStage])
    }
}
