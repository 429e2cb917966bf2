// Implements: the dashboard's JSON, read on the HTTP thread: /api/overview (jobs with state,
// progress, ETA and why they wait; nodes and slots) and /api/jobs/ID (loss and evaluation
// curves, attempts and why each ended, restarts, the tail of the latest attempt's logs). Jobs and
// curves come from the Store (SQLite reads are safe on any thread); what only the loop thread
// knows (live nodes, why a job waits) comes from the snapshot it publishes while someone watches.
import Foundation
import Spec
import Wire

/// Loop-thread facts the dashboard shows, refreshed once a second while it is being watched.
struct DashboardSnapshot {
    var nodes: [NodeInfo] = []
    var waiting: [Int64: String] = [:]
    var builtAt = Date.distantPast
}

/// The snapshot and when the dashboard last asked, shared by the loop and HTTP threads.
final class DashboardState: @unchecked Sendable {
    private let lock = NSLock()
    private var wantedAt = Date.distantPast
    private var snapshot = DashboardSnapshot()

    /// The snapshot to rebuild now, if someone watched within 30 s and it is over 1 s old.
    var due: Bool {
        lock.lock(); defer { lock.unlock() }
        let now = Date()
        return now.timeIntervalSince(wantedAt) < 30 && now.timeIntervalSince(snapshot.builtAt) >= 1
    }

    func publish(_ s: DashboardSnapshot) { lock.lock(); snapshot = s; lock.unlock() }

    /// The latest snapshot, marking the dashboard as watched.
    func watch() -> DashboardSnapshot {
        lock.lock(); defer { lock.unlock() }
        wantedAt = Date()
        return snapshot
    }
}

extension Coordinator {
    /// Called by the loop thread each tick: rebuilds the dashboard snapshot at most once a second,
    /// and only within 30 s of a dashboard request.
    func updateDashboardSnapshot() {
        guard let state = metricsServer?.dashboard, state.due else { return }
        var s = DashboardSnapshot(builtAt: Date())
        s.nodes = (try? nodeInfos()) ?? []
        for row in ((try? store.queuedJobs()) ?? []).prefix(200) { s.waiting[row.id] = info(row, extras: JobExtras()).reason }
        state.publish(s)
    }

    /// The loop-thread facts, marking the dashboard as watched.
    /// On the first request it waits up to 0.5 s for the loop thread to build one.
    func watchedSnapshot() -> DashboardSnapshot {
        guard let state = metricsServer?.dashboard else { return DashboardSnapshot() }
        var s = state.watch()
        for _ in 0 ..< 25 where s.builtAt == .distantPast { usleep(20_000); s = state.watch() }
        return s
    }

    func dashboardOverview() throws -> [String: Any] {
        let snap = watchedSnapshot()
        let rows = try store.jobPage(state: nil, after: nil, limit: 100).rows
        let extras = try store.extras(of: rows.map(\.id))
        let jobs = rows.map { row -> [String: Any] in
            var j = jobSummary(row, extras[row.id] ?? JobExtras())
            if let w = snap.waiting[row.id] { j["reason"] = w }
            return j
        }
        let nodes = snap.nodes.map { ["name": $0.name, "address": $0.address, "slots": $0.slots, "used": $0.used, "live": $0.live] as [String: Any] }
        return ["now": Date().timeIntervalSince1970, "jobs": jobs, "nodes": nodes, "watched_since": snap.builtAt.timeIntervalSince1970]
    }

    func dashboardJob(_ id: Int64) throws -> [String: Any]? {
        guard let row = try store.job(id) else { return nil }
        _ = watchedSnapshot()
        var points: [ProgressPoint] = [], after: Int64?
        repeat {  // rank 0's points, in pages; at most 20,000
            let page = try store.progressPage(job: id, after: after, limit: 5000)
            points += page.points; after = page.next
        } while after != nil && points.count < 20_000
        let attempts = try store.attempts(job: id)
        var j = jobSummary(row, try store.extras(of: [id])[id] ?? JobExtras())
        j["points"] = points.map { [$0.step, $0.loss, $0.samplesPerS, $0.at] }
        j["evaluations"] = try store.evaluations(job: id).map { ["step": $0.step, "metric": $0.metric, "value": $0.value] as [String: Any] }
        j["attempts"] = attempts.map { a -> [String: Any] in
            var d: [String: Any] = ["number": a.number, "ranks": a.ranks, "started_at": a.startedAt,
                                    "nodes": a.allocation.map { "\($0.node)×\($0.slots)" }.joined(separator: " ")]
            d["finished_at"] = a.finishedAt; d["outcome"] = a.outcome?.rawValue; d["reason"] = a.reason
            d["exit_code"] = a.exitCode; d["start_step"] = a.startStep
            return d
        }
        j["log"] = attempts.last.map { Self.logTail(dir: $0.dir, bytes: 6000) } ?? ""
        return j
    }

    /// What the job table and the job view share.
    private func jobSummary(_ row: JobRow, _ x: JobExtras) -> [String: Any] {
        var j: [String: Any] = ["id": "\(row.id)", "name": row.name, "state": row.state.rawValue, "ranks": row.ranks,
                                "attempts": row.attempts, "submitted_at": row.submittedAt]
        j["reason"] = row.reason; j["started_at"] = row.startedAt; j["finished_at"] = row.finishedAt
        j["checkpoint_step"] = x.lastCheckpointStep
        if let p = x.progress { j["step"] = p.step; j["loss"] = p.loss; j["samples_per_s"] = p.samplesPerS; j["reported_at"] = p.at }
        if let e = try? store.latestEvaluations(job: row.id).first { j["evaluation"] = ["metric": e.metric, "value": e.value, "step": e.step] }
        if !row.state.isTerminal, let text = try? store.spec(of: row.id), let spec = try? JobSpec.parse(text, source: "job \(row.id)"),
           let total = Self.totalSteps(spec) {
            j["total_steps"] = total
            if let p = x.progress, p.samplesPerS > 0, let batch = try? spec.batchPerRank(worldSize: row.ranks) {
                // samples/s over all ranks ÷ samples per step = steps per second
                let stepsPerSecond = p.samplesPerS / Double(batch * row.ranks)
                j["eta_s"] = max(0, Double(total - p.step) / stepsPerSecond - (Date().timeIntervalSince1970 - p.at))
            }
        }
        return j
    }

    /// Steps the job will run, where the spec says: train.max_steps, train.steps (text models), or
    /// epochs × steps per epoch for Fashion-MNIST's 60,000 training images.
    static func totalSteps(_ spec: JobSpec) -> Int? {
        if let m = spec.train.max_steps ?? spec.train.steps { return m }
        guard spec.data.kind == "fashion-mnist", let batch = try? spec.batchPerRank(worldSize: spec.ranks) else { return nil }
        let global = batch * spec.ranks, count = 60_000
        let perEpoch = spec.data.drop_last == true ? count / global : (count + global - 1) / global
        return perEpoch * (spec.train.epochs ?? 1)
    }

    /// The last `bytes` of each rank's log in `dir`, rank-prefixed lines, rank 0 first.
    static func logTail(dir: String, bytes: Int) -> String {
        var out = ""
        for (rank, path) in Launcher.rankLogs(dir: dir).sorted(by: { $0.key < $1.key }).prefix(8) {
            guard let fh = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? fh.close() }
            let size = (try? fh.seekToEnd()) ?? 0
            try? fh.seek(toOffset: size > UInt64(bytes) ? size - UInt64(bytes) : 0)
            var lines = LogText.lines(String(decoding: (try? fh.readToEnd()) ?? Data(), as: UTF8.self))  // bar redraws: the last
            if size > UInt64(bytes) { lines = Array(lines.dropFirst()) }  // the first line is cut
            out += lines.suffix(40).map { "[\(rank)] \($0)\n" }.joined()
        }
        return out
    }
}
