// Implements: the coordinator's answer to trainer reports (hello, progress, checkpoint-committed,
// heartbeat) and their fencing. A report changes something only when it comes from a rank of the
// job's current attempt: from an attempt that ended (or a job that is terminal) or from a rank the
// attempt does not have, it is answered `stale-attempt` and changes nothing. The one exception is
// a checkpoint committed by the current attempt while it is being ended: the checkpoint is
// durable, and the restart resumes from it.
import Foundation
import Wire

extension Coordinator {
    func trainer(_ m: Message, at: Date) throws -> Message {
        let job = try lookup(m)
        guard case let .success(row) = job else { return job.failureValue! }
        guard let attempt = m.attempt, let rank = m.rank else {
            return .error(to: m.id, .badRequest, "\(m.type.rawValue) needs the fields \"attempt\" and \"rank\"")
        }
        let stale = Message.error(to: m.id, .staleAttempt, "attempt \(attempt) of job \(row.id) is over")
        guard !row.state.isTerminal, let a = active[row.id], a.attempt == Int64(attempt) else { return stale }
        guard rank < a.ranks else {
            return .error(to: m.id, .staleAttempt, "attempt \(attempt) of job \(row.id) has \(a.ranks) rank(s); rank \(rank) is not one of them")
        }
        if m.type == .checkpointCommitted, let step = m.step, let path = m.path {
            try store.addCheckpoint(job: row.id, step: step, path: path)
            if a.healthy {
                active[row.id]?.committed = true
                failStreak[row.id] = 0
                try considerGrowth(row.id)
            }
        }
        guard a.healthy else { return stale }
        switch m.type {
        case .progress:
            if let step = m.step, let loss = m.loss {
                try store.addProgress(job: row.id, rank: rank, step: step, loss: loss, samplesPerS: m.samplesPerS ?? 0)
            }
        case .hello:
            try store.event(job: row.id, kind: "trainer-hello",
                            detail: "rank \(rank) of \(m.worldSize ?? 0) pid \(m.pid ?? 0) attempt \(attempt) from step \(m.step ?? 0)")
            if rank == 0, let step = m.step { try store.setAttemptStartStep(Int64(attempt), step: step) }
        default: break
        }
        beat(job: row.id, rank: rank, done: m.type == .heartbeat && m.done == true, at: at)
        return .ok(to: m.id)
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
