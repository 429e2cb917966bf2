// Implements: the coordinator's metrics page in Prometheus' own conventions (base units, _total
// only on counters, HELP and TYPE on every family): the cluster (jobs by state, nodes, slots,
// requests, stalls) and, for every job not yet finished, its step, per-report loss, throughput,
// evaluation results, attempts, restarts, checkpoint age and a histogram of seconds per step.
// StepTimes reads rank 0's new progress rows at each scrape, so a scrape's cost follows the
// reports since the last one, not a job's whole history.
import Foundation
import Wire

/// Seconds per step of each job, from the gaps between rank 0's consecutive progress reports.
final class StepTimes: @unchecked Sendable {
    /// 1 ms … 60 s: MLP steps take milliseconds, GPT steps on a loaded machine seconds.
    static let bounds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]
    private let store: Store
    private var after: Int64
    private var last: [Int64: (step: Int, at: Double)] = [:]
    private(set) var histograms: [Int64: Histogram] = [:]
    private let lock = NSLock()

    /// Counts only reports that arrive from now on.
    init(store: Store) {
        self.store = store
        after = (try? store.maxProgressID()) ?? 0
    }

    /// Takes in the reports since the last call; keeps only `jobs`' state.
    func update(keeping jobs: Set<Int64>) -> [Int64: Histogram] {
        lock.lock(); defer { lock.unlock() }
        for _ in 0 ..< 20 {  // at most 200,000 rows per scrape; the rest wait for the next
            guard let rows = try? store.rank0Progress(after: after, limit: 10_000), !rows.isEmpty else { break }
            for r in rows {
                // A step number that goes back is a resume from a checkpoint: no gap to measure.
                if let l = last[r.job], r.step > l.step, r.at >= l.at {
                    histograms[r.job, default: Histogram(bounds: Self.bounds)].observe((r.at - l.at) / Double(r.step - l.step))
                }
                last[r.job] = (r.step, r.at)
                after = r.id
            }
            if rows.count < 10_000 { break }
        }
        for j in Array(histograms.keys) where !jobs.contains(j) { histograms[j] = nil; last[j] = nil }
        for j in Array(last.keys) where !jobs.contains(j) { last[j] = nil }
        return histograms
    }
}

extension Coordinator {
    /// The metrics page, Prometheus text exposition format 0.0.4.
    func metricsText(steps: StepTimes) -> String {
        metricsLock.lock(); let s = snapshot; metricsLock.unlock()
        var p = PrometheusText()
        let counts = (try? store.countsByState()) ?? [:]
        p.family("cohort_jobs", .gauge, "Jobs by state.", JobState.allCases.map { ([("state", $0.rawValue)], Double(counts[$0] ?? 0)) })
        p.single("cohort_nodes_live", .gauge, "Nodes whose agent was heard from within the liveness window.", Double(s.liveNodes))
        p.single("cohort_slots", .gauge, "Slots on live nodes.", Double(s.totalSlots))
        p.single("cohort_slots_used", .gauge, "Slots on live nodes held by attempts that may still run.", Double(s.usedSlots))
        p.single("cohort_requests_total", .counter, "Requests served since the coordinator started.", Double(s.requests))
        p.single("cohort_stalls_total", .counter, "Messages that took over 100 ms to serve.", Double(stallCount))
        // Apart from the stalls above, which on a loaded machine are mostly the thread waiting for a
        // CPU: these used the 100 ms themselves, the ones a request's cost is to blame for.
        p.single("cohort_busy_stalls_total", .counter, "Messages whose serving used over 100 ms of the serving thread's CPU time.", Double(busyStallCount))

        let unfinished: [JobRow] = [JobState.scheduled, .running, .restarting].flatMap {
            (try? store.jobPage(state: $0, after: nil, limit: 1000).rows) ?? []
        }.sorted { $0.id < $1.id }
        let ids = unfinished.map(\.id)
        let extras = (try? store.extras(of: ids)) ?? [:]
        let checkpoints = (try? store.newestCheckpoints(of: ids)) ?? [:]
        let now = Date().timeIntervalSince1970
        func job(_ r: JobRow) -> PrometheusText.Labels { [("job", "\(r.id)")] }
        func each(_ value: (JobRow) -> Double?) -> [(PrometheusText.Labels, Double)] {
            unfinished.compactMap { r in value(r).map { (job(r), $0) } }
        }
        p.family("cohort_job_info", .gauge, "1 for every job not yet finished, labelled with its name and state.",
                 unfinished.map { ([("job", "\($0.id)"), ("name", $0.name), ("state", $0.state.rawValue)], 1) })
        p.family("cohort_job_ranks", .gauge, "Ranks the job asks for.", each { Double($0.ranks) })
        p.family("cohort_job_step", .gauge, "Latest optimizer step rank 0 reported.", each { extras[$0.id]?.progress.map { Double($0.step) } })
        p.family("cohort_job_loss", .gauge, "Training loss of the latest progress report.", each { extras[$0.id]?.progress?.loss })
        p.family("cohort_job_samples_per_second", .gauge, "Throughput of the latest progress report, samples per second over all ranks.",
                 each { extras[$0.id]?.progress?.samplesPerS })
        p.family("cohort_job_progress_age_seconds", .gauge, "Seconds since the latest progress report.",
                 each { extras[$0.id]?.progress.map { max(0, now - $0.at) } })
        var evaluations: [(PrometheusText.Labels, Double)] = []
        for r in unfinished {
            for e in (try? store.latestEvaluations(job: r.id)) ?? [] { evaluations.append((job(r) + [("metric", e.metric)], e.value)) }
        }
        p.family("cohort_job_evaluation", .gauge, "Latest evaluation result of the job, per metric (e.g. test accuracy as a fraction).", evaluations)
        p.family("cohort_job_attempts_total", .counter, "Launches of the job (attempts), the first included.", each { Double($0.attempts) })
        p.family("cohort_job_restarts_total", .counter, "Launches of the job after its first (restarts after faults or resizes).",
                 each { Double(max(0, $0.attempts - 1)) })
        p.family("cohort_job_checkpoint_step", .gauge, "Step of the job's newest committed checkpoint.", each { checkpoints[$0.id].map { Double($0.step) } })
        p.family("cohort_job_checkpoint_age_seconds", .gauge, "Seconds since the job's newest checkpoint was committed.",
                 each { checkpoints[$0.id].map { max(0, now - $0.at) } })
        metricsLock.lock(); let cost = servingCost.byType; metricsLock.unlock()
        p.histogram("cohort_serve_cpu_seconds", "CPU time the serving thread spent on each message, by message type (waiting for a CPU not included).",
                    bounds: ServingCost.bounds, cost.sorted { $0.key < $1.key }.map { ([("type", $0.key)], $0.value) })
        let h = steps.update(keeping: Set(ids))
        p.histogram("cohort_job_step_duration_seconds", "Seconds per optimizer step, measured between rank 0's consecutive progress reports.",
                    bounds: StepTimes.bounds, unfinished.compactMap { r in h[r.id].map { (job(r), $0) } })
        return p.text
    }
}
