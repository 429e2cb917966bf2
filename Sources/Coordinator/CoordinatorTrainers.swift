// Implements: the coordinator's answer to trainer reports (hello, progress, checkpoint-committed,
// heartbeat) and their fencing. A report changes something only when it comes from a rank of the
// job's current attempt: from an attempt that ended (or a job that is terminal) or from a rank the
// attempt does not have, it is answered `stale-attempt` and changes nothing. The one exception is
// a checkpoint committed by the current attempt while it is being ended: the checkpoint is
// durable, and the restart resumes from it.
import Foundation
import Wire

extension Coordinator {
    /// The fencing of every trainer report: `apply` runs, and the rank's liveness is stamped, only
    /// for a rank of the job's current, healthy attempt; anything else is answered `stale-attempt`.
    func trainer(_ from: Request.Trainer, id: String, done: Bool = false, at: Date, apply: (Active) throws -> Void) throws -> Message {
        let job = try lookup(from.job, id: id)
        guard case let .success(row) = job else { return job.failureValue! }
        switch current(row, from, id: id) {
        case let .failure(stale): return stale
        case let .success(a):
            guard a.healthy else { return .error(to: id, .staleAttempt, "attempt \(from.attempt) of job \(row.id) is over") }
            try apply(a)
            beat(job: row.id, rank: from.rank, done: done, at: at)
            return .ok(to: id)
        }
    }

    /// The job's attempt when `from` is one of its ranks, healthy or being ended; else the reply.
    func current(_ row: JobRow, _ from: Request.Trainer, id: String) -> Result<Active, Message> {
        guard !row.state.isTerminal, let a = active[row.id], a.attempt == Int64(from.attempt) else {
            return .failure(.error(to: id, .staleAttempt, "attempt \(from.attempt) of job \(row.id) is over"))
        }
        guard from.rank < a.ranks else {
            return .failure(.error(to: id, .staleAttempt, "attempt \(from.attempt) of job \(row.id) has \(a.ranks) rank(s); rank \(from.rank) is not one of them"))
        }
        return .success(a)
    }

    func hello(_ r: Request.Hello, _ a: Active) throws {
        try store.event(job: a.job, kind: "trainer-hello",
                        detail: "rank \(r.from.rank) of \(r.worldSize) pid \(r.pid) attempt \(r.from.attempt) from step \(r.step)")
        if r.from.rank == 0 { try store.setAttemptStartStep(a.attempt, step: r.step) }
    }

    func progress(_ r: Request.ProgressReport, _ a: Active) throws {
        if let loss = r.loss {
            try store.addProgress(job: a.job, rank: r.from.rank, step: r.step, loss: loss, samplesPerS: r.samplesPerS ?? 0)
        }
        if let e = r.evaluation { try store.setEvaluation(job: a.job, e) }
    }

    /// A checkpoint committed by the current attempt is recorded even while that attempt is being
    /// ended (it is durable, and the restart resumes from it); only a healthy attempt's resets the
    /// back-off and may grow the job.
    func checkpointCommitted(_ r: Request.CheckpointCommitted, id: String, at: Date) throws -> Message {
        let job = try lookup(r.from.job, id: id)
        guard case let .success(row) = job else { return job.failureValue! }
        guard case let .success(a) = current(row, r.from, id: id) else { return current(row, r.from, id: id).failureValue! }
        try store.addCheckpoint(job: row.id, step: r.step, path: r.path)
        guard a.healthy else { return .error(to: id, .staleAttempt, "attempt \(r.from.attempt) of job \(row.id) is over") }
        active[row.id]?.committed = true
        jobs[row.id, default: JobLoop()].failStreak = 0
        try considerGrowth(row.id)
        beat(job: row.id, rank: r.from.rank, done: false, at: at)
        return .ok(to: id)
    }

    /// Keeps rank `rank` of the job's attempt live (stamped when its message arrived); a goodbye
    /// takes it off the watch.
    func beat(job: Int64, rank: Int, done: Bool, at: Date) {
        guard let a = active[job] else { return }
        if done {
            active[job]?.doneRanks.insert(rank)
            active[job]?.beats[rank] = nil
        } else if !a.doneRanks.contains(rank) {
            active[job]?.beats[rank] = max(at, a.beats[rank] ?? at)
        }
    }
}
