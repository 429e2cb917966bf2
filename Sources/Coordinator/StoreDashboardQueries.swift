// Implements: the read-only queries of Store that the metrics page and the dashboard need beyond
// replies: rank 0's progress rows after a row id (step-time histograms, read incrementally), the
// newest checkpoint per job, and a job's evaluation results (the `evaluations` table, one row per
// evaluation a trainer reported).
import Foundation
import GRDB
import Wire

/// One evaluation result of a job: `metric` at `step` (e.g. test_accuracy 0.86 at step 236).
public struct EvaluationPoint: Codable, Sendable, Equatable {
    public var step: Int
    public var metric: String
    public var value: Double
    public init(step: Int, metric: String, value: Double) { self.step = step; self.metric = metric; self.value = value }
}

/// One rank-0 progress row, as the step-time histograms read it.
struct ProgressRow {
    var id: Int64, job: Int64, step: Int, at: Double
}

extension Store {
    /// The largest progress row id (0 when there is none).
    func maxProgressID() throws -> Int64 {
        try db.read { try Int64.fetchOne($0.cachedStatement(sql: "SELECT MAX(id) FROM progress")) ?? 0 }
    }

    /// Rank 0's progress rows with ids above `after`, oldest first, at most `limit` (primary key order).
    func rank0Progress(after: Int64, limit: Int) throws -> [ProgressRow] {
        try db.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT id, job_id, step, at FROM progress WHERE id > ? AND rank = 0 ORDER BY id LIMIT ?"),
                             arguments: [after, limit]).map { ProgressRow(id: $0["id"], job: $0["job_id"], step: $0["step"], at: $0["at"]) }
        }
    }

    /// Newest checkpoint (step, time, path) of each of `jobs`.
    func newestCheckpoints(of jobs: [Int64]) throws -> [Int64: (step: Int, at: Double, path: String)] {
        guard !jobs.isEmpty else { return [:] }
        let list = jobs.map(String.init).joined(separator: ",")
        return try db.read { db in
            var out: [Int64: (step: Int, at: Double, path: String)] = [:]
            for r in try Row.fetchAll(db, sql: """
                SELECT c.job_id, c.step, c.at, c.path FROM checkpoints c
                WHERE c.id IN (SELECT MAX(id) FROM checkpoints WHERE job_id IN (\(list)) GROUP BY job_id)
                """) {
                out[r["job_id"]] = (r["step"], r["at"], r["path"])
            }
            return out
        }
    }

    /// Evaluation results of `job`, oldest first: the newest `limit` reports.
    func evaluations(job: Int64, limit: Int = 2000) throws -> [EvaluationPoint] {
        try db.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT step, metric, value FROM evaluations WHERE job_id = ? ORDER BY id DESC LIMIT ?"),
                             arguments: [job, limit]).reversed().map { EvaluationPoint(step: $0["step"], metric: $0["metric"], value: $0["value"]) }
        }
    }

    /// The latest result of each evaluation metric of `job`.
    func latestEvaluations(job: Int64) throws -> [EvaluationPoint] {
        var latest: [String: EvaluationPoint] = [:]
        for e in try evaluations(job: job, limit: 64) where latest[e.metric].map({ $0.step <= e.step }) ?? true { latest[e.metric] = e }
        return latest.values.sorted { $0.metric < $1.metric }
    }
}
