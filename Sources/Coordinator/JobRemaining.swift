// Implements: how much of a job is left, for `status`: the steps it runs in all (where its spec
// says) and, while it runs, the seconds left at its latest reported throughput. Only for jobs
// that have reported progress, and the spec is parsed once per job: `status` stays cheap.
import Foundation
import Spec
import Wire

extension Coordinator {
    /// The job's total steps and samples per step (nil when its spec does not say), parsed once.
    /// Keyed by the store's file and the job id: a job's spec never changes, and several
    /// coordinators in one process (the tests) each have a job 1.
    private static let plans = PlanCache()

    /// The job's total steps (nil before it reports progress, or when its spec does not say) and,
    /// while it runs, its ETA in seconds from now.
    func remaining(_ row: JobRow, progress: ProgressPoint?) -> (Int?, Double?) {
        guard let p = progress, let plan = Self.plans.plan(store.path, row.id, { () -> (Int, Int)? in
            guard let text = try? store.spec(of: row.id), let spec = try? JobSpec.parse(text, source: "job \(row.id)"),
                  let total = Coordinator.totalSteps(spec), let batch = try? spec.batchPerRank(worldSize: row.ranks) else { return nil }
            return (total, batch * row.ranks)
        }) else { return (nil, nil) }
        guard !row.state.isTerminal, p.samplesPerS > 0 else { return (plan.total, nil) }
        // samples/s over all ranks ÷ samples per step = steps per second; less the time since the report
        let stepsPerSecond = p.samplesPerS / Double(plan.samplesPerStep)
        return (plan.total, max(0, Double(plan.total - p.step) / stepsPerSecond - (Date().timeIntervalSince1970 - p.at)))
    }
}

/// Per job: (total steps, samples per step), or nil when the spec does not say; filled on first use.
final class PlanCache: @unchecked Sendable {
    /// Which job of which store: hashed as two fields, with no string built per `status`.
    struct Key: Hashable { var store: String; var job: Int64 }

    private let lock = NSLock()
    private var plans: [Key: (total: Int, samplesPerStep: Int)?] = [:]

    func plan(_ store: String, _ job: Int64, _ make: () -> (Int, Int)?) -> (total: Int, samplesPerStep: Int)? {
        lock.lock(); defer { lock.unlock() }
        let key = Key(store: store, job: job)
        if let known = plans[key] { return known }
        let p = make().map { (total: $0.0, samplesPerStep: $0.1) }
        if plans.count > 10_000 { plans.removeAll() }  // bounded: a long-lived coordinator sees many jobs
        plans[key] = p
        return p
    }
}
