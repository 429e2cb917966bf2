// Implements: `cohort bench zero`: workload W on N ranks at ZeRO stages 0, 1 and 2, in one
// invocation, alternating stages over rounds; per stage the bytes of optimizer state and
// gradients a rank holds and the steady samples/s (best round).
//   theory_bytes = 8Ψ for stage 0 (Adam's m and v), 8Ψ/N for stages 1 and 2.
import ArgumentParser
import Foundation

struct BenchZero: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "zero", abstract: "Compare memory and speed of ZeRO stages 0, 1 and 2.")

    @OptionGroup var workload: WorkloadRunOptions

    func run() throws {
        let (ranks, steps, rounds, bucketMb) = (workload.ranks, workload.steps, workload.rounds ?? 4, workload.bucketMb)
        let dir = try BenchRun.tempDir("zero")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = try BenchRun.writeWorkload(dir: dir, ranks: ranks, steps: steps, bucketMB: bucketMb, data: workload.data)
        var best: [Int: [String: Any]] = [:]
        for round in 1...rounds {
            for stage in 0...2 {
                benchNote("round \(round)/\(rounds): ZeRO stage \(stage) on \(ranks) ranks")
                let r = try BenchRun.train(ranks: ranks, spec: spec, dir: dir, extra: ["--zero-stage", "\(stage)"])
                if (r["steady_samples_per_s"] as! Double) > (best[stage]?["steady_samples_per_s"] as? Double ?? 0) { best[stage] = r }
            }
        }
        let psi = 1_863_690.0  // Ψ of workload W
        for stage in 0...2 {
            let r = best[stage]!
            emitJSONLine(["bench": "zero", "stage": stage, "ranks": ranks,
                          "optimizer_bytes_per_rank": r["optimizer_bytes"]!, "theory_bytes": stage == 0 ? 8 * psi : 8 * psi / Double(ranks),
                          "grad_bytes_per_rank": r["grad_bytes"]!, "param_bytes_per_rank": r["param_bytes"]!,
                          "samples_per_s": r["steady_samples_per_s"]!, "bucket_mb": bucketMb])
        }
    }
}
