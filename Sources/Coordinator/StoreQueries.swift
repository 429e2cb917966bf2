// Implements: the read side of Store that replies are built from, each bounded and indexed so
// its cost does not grow with the number of finished jobs: a page of jobs (newest first, after a
// cursor, without spec texts), the latest attempt / progress / checkpoint of a page's jobs in one
// read, counts, nodes as typed rows, and pages of progress points.
import Foundation
import GRDB
import Wire

/// One row of `nodes`.
struct NodeRow {
    var name: String, host: String, address: String, slots: Int, lastSeen: Double
}

/// What a job's `job_info` needs besides its row.
struct JobExtras {
    var attempt: AttemptRow?
    var progress: ProgressPoint?
    var lastCheckpointStep: Int?
    var lastCheckpointPath: String?
    var evaluation: Evaluation?
}

extension Store {
    /// The columns of `jobs` without the spec text (lists and scheduling never need it).
    static let jobColumnsWithoutSpec = """
        id, name, '' AS spec, ranks, priority, state, reason, submitted_at, started_at, finished_at, exit_code,
        attempts, max_restarts, wait_for_nodes, cancel_requested
        """

    /// Up to `limit` jobs with ids below `after` (newest first), in `state` if given, and how many
    /// match in all. Both use an index (jobs' rowid, or jobs_state_id); the SQL has four shapes,
    /// each prepared once.
    func jobPage(state: JobState?, after: Int64?, limit: Int) throws -> (rows: [JobRow], total: Int) {
        try db.read { db in
            var filter: [String] = [], args: [DatabaseValueConvertible] = []
            if let state { filter.append("state = ?"); args.append(state.rawValue) }
            let count = "SELECT COUNT(*) FROM jobs" + (filter.isEmpty ? "" : " WHERE " + filter.joined(separator: " AND "))
            let total = try Int.fetchOne(db.cachedStatement(sql: count), arguments: StatementArguments(args)) ?? 0
            if let after { filter.append("id < ?"); args.append(after) }
            let sql = "SELECT \(Self.jobColumnsWithoutSpec) FROM jobs" + (filter.isEmpty ? "" : " WHERE " + filter.joined(separator: " AND "))
                + " ORDER BY id DESC LIMIT ?"
            args.append(limit)
            return (try Row.fetchAll(db.cachedStatement(sql: sql), arguments: StatementArguments(args)).map(JobRow.init), total)
        }
    }

    /// Latest attempt, latest progress point, newest checkpoint step and evaluation of each job, in
    /// one read. The ids go in as one JSON array (`json_each`), so each statement has one text and
    /// is prepared once per connection: preparing SQL had been a third of a submit's time.
    func extras(of ids: [Int64]) throws -> [Int64: JobExtras] {
        guard !ids.isEmpty else { return [:] }
        return try db.read { try Self.extras($0, of: ids) }
    }

    static func extras(_ db: Database, of ids: [Int64]) throws -> [Int64: JobExtras] {
        let list: StatementArguments = ["[" + ids.map(String.init).joined(separator: ",") + "]"]
        var out: [Int64: JobExtras] = [:]
        for id in ids { out[id] = JobExtras() }
        for r in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT a.* FROM attempts a WHERE a.job_id IN (SELECT value FROM json_each(?))
            AND a.number = (SELECT MAX(number) FROM attempts b WHERE b.job_id = a.job_id)
            """), arguments: list) {
            let a = AttemptRow(r); out[a.jobID]?.attempt = a
        }
        for r in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT p.* FROM progress p WHERE p.id IN
            (SELECT MAX(id) FROM progress WHERE job_id IN (SELECT value FROM json_each(?)) GROUP BY job_id)
            """), arguments: list) {
            let job: Int64 = r["job_id"]
            out[job]?.progress = ProgressPoint(step: r["step"], loss: r["loss"], samplesPerS: r["samples_per_s"], at: r["at"])
        }
        for r in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT job_id, MAX(step) AS step, path FROM checkpoints WHERE job_id IN (SELECT value FROM json_each(?)) GROUP BY job_id
            """), arguments: list) {
            // SQLite takes the bare column `path` from the row holding MAX(step).
            let job: Int64 = r["job_id"]; out[job]?.lastCheckpointStep = r["step"]; out[job]?.lastCheckpointPath = r["path"]
        }
        for r in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, eval_metric, eval_value, eval_step FROM jobs WHERE id IN (SELECT value FROM json_each(?)) AND eval_metric IS NOT NULL
            """), arguments: list) {
            let job: Int64 = r["id"]; out[job]?.evaluation = Evaluation(metric: r["eval_metric"], value: r["eval_value"], step: r["eval_step"])
        }
        return out
    }

    /// A job's row, what its job_info needs and, with `history`, its attempts, in one read (each
    /// read is a transaction, whose BEGIN and COMMIT cost as much as a small query).
    func jobDetail(_ id: Int64, history: Bool) throws -> (row: JobRow, extras: JobExtras, attempts: [AttemptRow])? {
        try db.read { db in
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM jobs WHERE id = ?"), arguments: [id]).map(JobRow.init) else { return nil }
            let attempts = try history ? Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM attempts WHERE job_id = ? ORDER BY number"),
                                                  arguments: [id]).map(AttemptRow.init) : []
            return (row, try Self.extras(db, of: [id])[id] ?? JobExtras(), attempts)
        }
    }

    /// Jobs not yet terminal (counted with the jobs_state_id index).
    static func unfinishedCount(_ db: Database) throws -> Int {
        try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM jobs WHERE state IN ('PENDING','SCHEDULED','RUNNING','RESTARTING')")) ?? 0
    }

    /// Queued jobs (PENDING, RESTARTING) in submission order, without their spec texts.
    func queuedJobs() throws -> [JobRow] {
        try db.read { try Row.fetchAll($0.cachedStatement(sql: "SELECT \(Self.jobColumnsWithoutSpec) FROM jobs WHERE state IN ('PENDING','RESTARTING') ORDER BY id")).map(JobRow.init) }
    }

    func spec(of job: Int64) throws -> String? {
        try db.read { try String.fetchOne($0.cachedStatement(sql: "SELECT spec FROM jobs WHERE id = ?"), arguments: [job]) }
    }

    func nodeRows() throws -> [NodeRow] {
        try db.read { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM nodes ORDER BY name")).map {
                NodeRow(name: $0["name"], host: $0["host"], address: $0["address"], slots: $0["slots"], lastSeen: $0["last_seen"])
            }
        }
    }

    /// Rank 0's points of `job` after row id `after`, oldest first, at most `limit`; and the row id of
    /// the last one returned when more may follow.
    func progressPage(job: Int64, after: Int64?, limit: Int) throws -> (points: [ProgressPoint], next: Int64?) {
        try db.read { db in
            let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM progress WHERE job_id = ? AND rank = 0 AND id > ? ORDER BY id LIMIT ?"),
                                        arguments: [job, after ?? 0, limit])
            let points = rows.map { ProgressPoint(step: $0["step"], loss: $0["loss"], samplesPerS: $0["samples_per_s"], at: $0["at"]) }
            let last: Int64? = rows.last?["id"]
            return (points, rows.count == limit ? last : nil)
        }
    }

    func eventDetails(kind: String) throws -> [String] {
        try db.read { try String?.fetchAll($0.cachedStatement(sql: "SELECT detail FROM events WHERE kind = ? ORDER BY id"), arguments: [kind]) }.map { $0 ?? "" }
    }

    /// Records a launch that failed before mpirun ran: the attempt ends `launch-failed`.
    func failLaunch(attempt: Int64, reason: String) throws {
        try db.write { try Store.finishAttempt($0, attempt, exitCode: nil, outcome: .launchFailed, reason: reason) }
    }

    /// Indexes that keep submit, status, list and scheduling independent of the finished jobs.
    static func registerIndexes(_ m: inout DatabaseMigrator) {
        m.registerMigration("v3-indexes") { db in
            try db.execute(sql: """
            CREATE INDEX IF NOT EXISTS jobs_state_id ON jobs(state, id);
            CREATE INDEX IF NOT EXISTS attempts_job_number ON attempts(job_id, number);
            CREATE INDEX IF NOT EXISTS attempts_open ON attempts(finished_at) WHERE finished_at IS NULL;
            CREATE INDEX IF NOT EXISTS checkpoints_job ON checkpoints(job_id, step);
            CREATE INDEX IF NOT EXISTS progress_job_rank ON progress(job_id, rank, id);
            CREATE INDEX IF NOT EXISTS events_job ON events(job_id, id);
            """)
        }
    }
}
