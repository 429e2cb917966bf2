// Implements: fault detection and elasticity on the coordinator's thread: trainer heartbeats per
// rank (a rank silent for interval × liveness is hung or dead), the startup deadline, the restart
// back-off, the world sizes a restart may shrink to, and growth back to the asked size at a
// committed checkpoint when slots have come back. Node loss and mpirun's exit are watched in
// Coordinator.expireNodes and monitorAttempts.
import Foundation
import Wire

extension Coordinator {
    /// Faults attempts with a rank that stopped heartbeating, or ranks that never started.
    func watchTrainers() {
        let now = Date()
        for (job, a) in active where a.healthy {
            if let (rank, seen) = a.beats.filter({ !a.doneRanks.contains($0.key) }).min(by: { $0.value < $1.value }),
               now.timeIntervalSince(seen) > livenessWindow {
                let on = a.node(ofRank: rank).map { " on node \($0)" } ?? ""
                fault(job, String(format: "rank %d%@ sent no heartbeat for %.1f s (hung or dead)", rank, on, now.timeIntervalSince(seen)))
            } else if config.startupTimeoutMs > 0, a.beats.count + a.doneRanks.count < a.ranks,
                      now.timeIntervalSince(a.launchedAt) * 1000 > Double(config.startupTimeoutMs) {
                let started = Set(a.beats.keys).union(a.doneRanks).count
                fault(job, "only \(started) of \(a.ranks) ranks started within \(config.startupTimeoutMs / 1000) s")
            }
        }
    }

    /// Seconds to wait before restarting after this fault: the base, doubled per fault in a row
    /// that committed no checkpoint, capped.
    func backoff(_ job: Int64, _ a: Active) -> TimeInterval {
        let streak = a.committed ? 0 : jobs[job]?.failStreak ?? 0
        jobs[job, default: JobLoop()].failStreak = streak + 1
        let ms = min(Double(config.restartBackoffMaxMs), Double(config.restartBackoffMs) * pow(2, Double(min(streak, 30))))
        return ms / 1000
    }

    func summary(_ row: JobRow) -> SpecSummary? {
        if let s = jobs[row.id]?.summary { return s }
        // Rows of lists and the queue carry no spec text: read it once, then keep the summary.
        let text = row.spec.isEmpty ? (try? store.spec(of: row.id)) ?? nil : row.spec
        let s = text.flatMap { try? SpecSummary.parse($0) }
        jobs[row.id, default: JobLoop()].summary = s
        return s
    }

    /// Sizes a restart may run at, largest first (SpecSummary.restartSizes).
    func restartSizes(_ row: JobRow) -> [Int] { summary(row)?.restartSizes ?? [row.ranks] }

    /// Where the job's ranks checkpoint and resume from across attempts: checkpoint.dir when absolute,
    /// else `checkpoints` (or the relative dir) inside the job's state directory.
    func checkpointDir(_ row: JobRow) -> String {
        let dir = summary(row)?.checkpointDir
        if let dir, dir.hasPrefix("/") { return dir }
        return jobDir(row.id) + "/" + (dir ?? "checkpoints")
    }

    /// After a checkpoint commit: an attempt running below the job's size is ended, to restart at
    /// the largest size the live slots (its own included) now allow, unless other jobs wait for slots.
    func considerGrowth(_ job: Int64) throws {
        guard let a = active[job], a.healthy, let row = try store.job(job), a.ranks < row.ranks else { return }
        guard try !store.queuedJobs().contains(where: { $0.id != job && active[$0.id] == nil }) else { return }
        var free = schedulerNodes()
        for s in a.allocation { if let i = free.firstIndex(where: { $0.name == s.node }) { free[i].free += s.slots } }
        guard let size = restartSizes(row).first(where: { $0 > a.ranks && Scheduler.place(ranks: $0, on: free) != nil }) else { return }
        active[job]?.resizeTo = size
        try store.event(job: job, kind: "resize", detail: "growing from \(a.ranks) to \(size) ranks at a committed checkpoint")
        terminate(job: job, hard: true)
    }
}
