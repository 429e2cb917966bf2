// Implements: how much of a job is left, for `status`: the steps it runs in all (where its spec
// says) and, while it runs, the seconds left at its latest reported throughput.
import Foundation
import Spec
import Wire

extension Coordinator {
    /// The job's total steps (nil when its spec does not say) and, while it runs and has reported
    /// a rate, its ETA in seconds from now.
    func remaining(_ row: JobRow, progress: ProgressPoint?) -> (Int?, Double?) {
        guard let text = try? store.spec(of: row.id), let spec = try? JobSpec.parse(text, source: "job \(row.id)"),
              let total = Coordinator.totalSteps(spec) else { return (nil, nil) }
        guard !row.state.isTerminal, let p = progress, p.samplesPerS > 0, p.step > 0,
              let batch = try? spec.batchPerRank(worldSize: row.ranks) else { return (total, nil) }
        // samples/s over all ranks ÷ samples per step = steps per second; less the time since the report
        let stepsPerSecond = p.samplesPerS / Double(batch * row.ranks)
        return (total, max(0, Double(total - p.step) / stepsPerSecond - (Date().timeIntervalSince1970 - p.at)))
    }
}
