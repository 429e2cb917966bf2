// Implements: the attempts, progress and checkpoints tables of Store: one attempt per mpirun
// launch (allocation, directory, pid, exit code), trainer progress and committed checkpoints.
import Foundation
import GRDB
import Wire

extension Store {
    /// Where attempt `number` of a job keeps its hostfile, wrapper, rank logs and exit status.
    static func attemptDir(_ jobDir: String, number: Int) -> String { jobDir + "/attempt-\(number)" }

    /// Inserts attempt N+1 of a job inside a transition's transaction; returns its id.
    static func insertAttempt(_ db: Database, job: Int64, allocation: [AllocationSlice], dir: String) throws -> (id: Int64, number: Int) {
        try db.cachedStatement(sql: "UPDATE jobs SET attempts = attempts + 1 WHERE id = ?").execute(arguments: [job])
        let number = try Int.fetchOne(db.cachedStatement(sql: "SELECT attempts FROM jobs WHERE id = ?"), arguments: [job]) ?? 1
        let json = String(decoding: try JSONEncoder().encode(allocation), as: UTF8.self)
        try db.cachedStatement(sql: "INSERT INTO attempts(job_id, number, allocation, dir, started_at) VALUES (?, ?, ?, ?, ?)").execute(
                       arguments: [job, number, json, attemptDir(dir, number: number), now])
        return (db.lastInsertedRowID, number)
    }

    func setAttemptPid(_ attempt: Int64, pid: Int) throws {
        try db.write { try $0.cachedStatement(sql: "UPDATE attempts SET pid = ? WHERE id = ?").execute(arguments: [pid, attempt]) }
    }

    static func finishAttempt(_ db: Database, _ attempt: Int64, exitCode: Int?, outcome: AttemptOutcome, reason: String? = nil) throws {
        try db.cachedStatement(sql: "UPDATE attempts SET finished_at = ?, exit_code = ?, outcome = ?, reason = ? WHERE id = ?").execute(
                       arguments: [now, exitCode, outcome.rawValue, reason, attempt])
        let job = try Int64.fetchOne(db.cachedStatement(sql: "SELECT job_id FROM attempts WHERE id = ?"), arguments: [attempt])
        try db.cachedStatement(sql: "UPDATE jobs SET exit_code = ? WHERE id = ?").execute(arguments: [exitCode, job])
    }

    func setAttemptStartStep(_ attempt: Int64, step: Int) throws {
        try db.write { try $0.cachedStatement(sql: "UPDATE attempts SET start_step = ? WHERE id = ?").execute(arguments: [step, attempt]) }
    }

    /// Attempts of `job` that ended in a fault (restarts for a resize do not count against max_restarts).
    func faultCount(job: Int64) throws -> Int {
        try db.read { try Int.fetchOne($0.cachedStatement(sql: "SELECT COUNT(*) FROM attempts WHERE job_id = ? AND outcome = ?"), arguments: [job, AttemptOutcome.failed.rawValue]) ?? 0 }
    }

    func openAttempts() throws -> [AttemptRow] {
        try db.read { try Row.fetchAll($0.cachedStatement(sql: "SELECT * FROM attempts WHERE finished_at IS NULL ORDER BY id")).map(AttemptRow.init) }
    }

    func latestAttempt(job: Int64) throws -> AttemptRow? {
        try db.read { try Row.fetchOne($0.cachedStatement(sql: "SELECT * FROM attempts WHERE job_id = ? ORDER BY number DESC LIMIT 1"), arguments: [job]).map(AttemptRow.init) }
    }

    func attempts(job: Int64) throws -> [AttemptRow] {
        try db.read { try Row.fetchAll($0.cachedStatement(sql: "SELECT * FROM attempts WHERE job_id = ? ORDER BY number"), arguments: [job]).map(AttemptRow.init) }
    }

    func addProgress(job: Int64, rank: Int, step: Int, loss: Double, samplesPerS: Double) throws {
        try db.write {
            try $0.cachedStatement(sql: "INSERT INTO progress(job_id, rank, step, loss, samples_per_s, at) VALUES (?, ?, ?, ?, ?, ?)").execute(
                           arguments: [job, rank, step, loss, samplesPerS, Self.now])
        }
    }

    /// Moves job `job` from `from` to `to` and inserts its next attempt, in one transaction.
    /// - Returns: the attempt's row id and its number within the job.
    func transition(_ job: Int64, from: JobState, to: JobState, detail: String, startingAttempt allocation: [AllocationSlice],
                    dir: String) throws -> (id: Int64, number: Int) {
        try transition(job, from: from, to: to, reason: nil, detail: detail) { try Self.insertAttempt($0, job: job, allocation: allocation, dir: dir) }
    }

    /// Moves job `job` from `from` to `to` and records how attempt `attempt` ended, in one transaction.
    func transition(_ job: Int64, from: JobState, to: JobState, reason: String?, detail: String?, ending attempt: Int64,
                    exitCode: Int?, outcome: AttemptOutcome, attemptReason: String? = nil) throws {
        try transition(job, from: from, to: to, reason: reason, detail: detail) {
            try Self.finishAttempt($0, attempt, exitCode: exitCode, outcome: outcome, reason: attemptReason)
        }
    }

    /// Keeps `e` as the job's latest evaluation.
    func setEvaluation(job: Int64, _ e: Evaluation) throws {
        try db.write {
            try $0.cachedStatement(sql: "UPDATE jobs SET eval_metric = ?, eval_value = ?, eval_step = ? WHERE id = ?").execute(
                           arguments: [e.metric, e.value, e.step, job])
            try $0.cachedStatement(sql: "INSERT INTO evaluations(job_id, step, metric, value, at) VALUES (?, ?, ?, ?, ?)").execute(
                           arguments: [job, e.step, e.metric, e.value, Store.now])
        }
    }

    func latestProgress(job: Int64) throws -> ProgressPoint? {
        try db.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM progress WHERE job_id = ? ORDER BY id DESC LIMIT 1"), arguments: [job]).map {
                ProgressPoint(step: $0["step"], loss: $0["loss"], samplesPerS: $0["samples_per_s"], at: $0["at"])
            }
        }
    }

    func addCheckpoint(job: Int64, step: Int, path: String) throws {
        try db.write { db in
            try db.cachedStatement(sql: "INSERT INTO checkpoints(job_id, step, path, at) VALUES (?, ?, ?, ?)").execute(arguments: [job, step, path, Self.now])
            try db.cachedStatement(sql: "INSERT INTO events(at, job_id, kind, detail) VALUES (?, ?, 'checkpoint-committed', ?)").execute(
                           arguments: [Self.now, job, "step \(step) \(path)"])
        }
        Self.logEvent(kind: "checkpoint-committed", job: job, detail: "step \(step) \(path)")
    }
}
