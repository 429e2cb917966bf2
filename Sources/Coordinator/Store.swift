// Implements: Store, the coordinator's durable state in SQLite (GRDB, WAL, synchronous=NORMAL):
// tables nodes, jobs, attempts, events, checkpoints, progress. Every job state change goes
// through `transition`, which writes the events row and the new state in one transaction,
// before the caller acts on it.
import Foundation
import GRDB
import Wire

public struct StoreError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

/// One row of `jobs`.
struct JobRow {
    var id: Int64
    var name: String
    var spec: String
    var ranks: Int
    var priority: Int
    var state: JobState
    var reason: String?
    var submittedAt: Double
    var startedAt: Double?
    var finishedAt: Double?
    var exitCode: Int?
    var attempts: Int
    var maxRestarts: Int
    var waitForNodes: Bool
    var cancelRequested: Bool

    init(_ r: Row) {
        id = r["id"]; name = r["name"]; spec = r["spec"]; ranks = r["ranks"]; priority = r["priority"]
        state = JobState(rawValue: r["state"]) ?? .failed
        reason = r["reason"]; submittedAt = r["submitted_at"]; startedAt = r["started_at"]; finishedAt = r["finished_at"]
        exitCode = r["exit_code"]; attempts = r["attempts"]; maxRestarts = r["max_restarts"]
        waitForNodes = r["wait_for_nodes"]; cancelRequested = r["cancel_requested"]
    }
}

/// One row of `attempts`: one mpirun launch of a job.
struct AttemptRow {
    var id: Int64
    var jobID: Int64
    var number: Int
    var allocation: [AllocationSlice]
    var dir: String
    var pid: Int?
    var finishedAt: Double?
    var exitCode: Int?
    var startedAt: Double
    var outcome: AttemptOutcome?
    var reason: String?
    var startStep: Int?
    var ranks: Int { allocation.reduce(0) { $0 + $1.slots } }

    init(_ r: Row) {
        id = r["id"]; jobID = r["job_id"]; number = r["number"]; dir = r["dir"]; pid = r["pid"]
        finishedAt = r["finished_at"]; exitCode = r["exit_code"]; startedAt = r["started_at"]
        outcome = (r["outcome"] as String?).flatMap(AttemptOutcome.init(rawValue:)); reason = r["reason"]; startStep = r["start_step"]
        let json: String = r["allocation"]
        allocation = (try? JSONDecoder().decode([AllocationSlice].self, from: Data(json.utf8))) ?? []
    }
}

final class Store: @unchecked Sendable {
    let db: DatabasePool
    let path: String
    /// Copies the log into the file off the serving thread while the coordinator serves.
    var checkpointer: WALCheckpointer?

    /// Opens (creating if needed) `<dir>/coordinator.sqlite`.
    /// - Parameter syncEveryCommit: fsync each transaction (synchronous=FULL).
    /// - Throws: `StoreError` naming the path.
    init(directory: String, syncEveryCommit: Bool = false) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var config = Configuration()
        config.prepareDatabase { db in
            // In WAL mode a commit is in the log (the kernel's page cache) before it returns, so it
            // survives a kill -9 of the coordinator; only an OS crash or power loss can take the
            // last commits since the WAL was last synced. FULL fsyncs every commit: ~22 ms at this
            // disk's p99, which then sets a submit's p99 (docs/architecture.md, Durability).
            try db.execute(sql: syncEveryCommit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        config.busyMode = .timeout(5)
        let path = directory + "/coordinator.sqlite"
        self.path = path
        do { db = try DatabasePool(path: path, configuration: config) } catch {
            throw StoreError(message: "cannot open state database \(path): \(error)")
        }
        try migrate()
    }

    private func migrate() throws {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
            CREATE TABLE nodes(name TEXT PRIMARY KEY, host TEXT NOT NULL, address TEXT NOT NULL, slots INTEGER NOT NULL,
                               registered_at REAL NOT NULL, last_seen REAL NOT NULL);
            CREATE TABLE jobs(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, spec TEXT NOT NULL,
                              ranks INTEGER NOT NULL, priority INTEGER NOT NULL, state TEXT NOT NULL, reason TEXT,
                              submitted_at REAL NOT NULL, started_at REAL, finished_at REAL, exit_code INTEGER,
                              attempts INTEGER NOT NULL DEFAULT 0, max_restarts INTEGER NOT NULL DEFAULT 0,
                              wait_for_nodes INTEGER NOT NULL DEFAULT 0, cancel_requested INTEGER NOT NULL DEFAULT 0);
            CREATE INDEX jobs_state ON jobs(state);
            CREATE TABLE attempts(id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL REFERENCES jobs(id),
                                  number INTEGER NOT NULL, allocation TEXT NOT NULL, dir TEXT NOT NULL, pid INTEGER,
                                  started_at REAL NOT NULL, finished_at REAL, exit_code INTEGER, outcome TEXT);
            CREATE INDEX attempts_job ON attempts(job_id);
            CREATE TABLE events(id INTEGER PRIMARY KEY AUTOINCREMENT, at REAL NOT NULL, job_id INTEGER, kind TEXT NOT NULL,
                                from_state TEXT, to_state TEXT, detail TEXT);
            CREATE TABLE checkpoints(id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL, step INTEGER NOT NULL,
                                     path TEXT NOT NULL, at REAL NOT NULL);
            CREATE TABLE progress(id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL, rank INTEGER NOT NULL,
                                  step INTEGER NOT NULL, loss REAL NOT NULL, samples_per_s REAL NOT NULL, at REAL NOT NULL);
            CREATE INDEX progress_job ON progress(job_id, id);
            """)
        }
        m.registerMigration("v2") { db in
            // Why each attempt ended, the step its trainers started at (after a resume), and how many
            // ranks it ran (an elastic restart may run fewer than the job asks for).
            try db.execute(sql: """
            ALTER TABLE attempts ADD COLUMN reason TEXT;
            ALTER TABLE attempts ADD COLUMN start_step INTEGER;
            """)
        }
        m.registerMigration("v3") { db in
            // The latest evaluation a job's trainers reported (status shows it).
            try db.execute(sql: """
            ALTER TABLE jobs ADD COLUMN eval_metric TEXT;
            ALTER TABLE jobs ADD COLUMN eval_value REAL;
            ALTER TABLE jobs ADD COLUMN eval_step INTEGER;
            """)
        }
        m.registerMigration("v4") { db in
            // Every evaluation a job's trainers reported, for its curves (dashboard, metrics).
            try db.execute(sql: """
            CREATE TABLE evaluations(id INTEGER PRIMARY KEY AUTOINCREMENT, job_id INTEGER NOT NULL, step INTEGER NOT NULL,
                                     metric TEXT NOT NULL, value REAL NOT NULL, at REAL NOT NULL);
            CREATE INDEX evaluations_job ON evaluations(job_id, id);
            """)
        }
        Self.registerIndexes(&m)
        try m.migrate(db)
    }

    static var now: Double { Date().timeIntervalSince1970 }

    // MARK: nodes

    func upsertNode(name: String, host: String, address: String, slots: Int) throws {
        try db.write { db in
            try db.execute(sql: """
                INSERT INTO nodes(name, host, address, slots, registered_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT(name) DO UPDATE SET host = excluded.host, address = excluded.address, slots = excluded.slots,
                last_seen = excluded.last_seen
                """, arguments: [name, host, address, slots, Self.now, Self.now])
            try db.cachedStatement(sql: "INSERT INTO events(at, kind, detail) VALUES (?, 'node-registered', ?)").execute(
                           arguments: [Self.now, "\(name) \(address) slots=\(slots)"])
        }
        Self.logEvent(kind: "node-registered", job: nil, detail: "\(name) \(address) slots=\(slots)")
    }


    // MARK: jobs

    /// The queue holds `unfinished` jobs, as many as its limit allows.
    struct QueueFull: Error { var unfinished: Int }

    /// Inserts a PENDING job and its `submitted` event, in the same transaction as the check that
    /// fewer than `queueLimit` jobs are unfinished.
    /// - Throws: `QueueFull` when they are not (nothing is written).
    func insertJob(_ s: SpecSummary, spec: String, priority: Int, waitForNodes: Bool, queueLimit: Int) throws -> Int64 {
        let id: Int64 = try db.write { db in
            let unfinished = try Self.unfinishedCount(db)
            guard unfinished < queueLimit else { throw QueueFull(unfinished: unfinished) }
            try db.cachedStatement(sql: """
                INSERT INTO jobs(name, spec, ranks, priority, state, submitted_at, max_restarts, wait_for_nodes)
                VALUES (?, ?, ?, ?, 'PENDING', ?, ?, ?)
                """).execute(arguments: [s.name, spec, s.ranks, priority, Self.now, s.maxRestarts, waitForNodes])
            let id = db.lastInsertedRowID
            try db.cachedStatement(sql: "INSERT INTO events(at, job_id, kind, to_state, detail) VALUES (?, ?, 'submitted', 'PENDING', ?)").execute(
                           arguments: [Self.now, id, "\(s.name) ranks=\(s.ranks) priority=\(priority)"])
            return id
        }
        EventLog.log(.info, "submit", ["job": String(id), "name": s.name, "ranks": String(s.ranks), "priority": String(priority)])
        return id
    }

    func job(_ id: Int64) throws -> JobRow? {
        try db.read { try Row.fetchOne($0.cachedStatement(sql: "SELECT * FROM jobs WHERE id = ?"), arguments: [id]).map(JobRow.init) }
    }

    func countsByState() throws -> [JobState: Int] {
        try db.read { db in
            var out: [JobState: Int] = [:]
            for r in try Row.fetchAll(db.cachedStatement(sql: "SELECT state, COUNT(*) AS n FROM jobs GROUP BY state")) {
                if let s = JobState(rawValue: r["state"]) { out[s] = r["n"] }
            }
            return out
        }
    }

    /// Moves job `id` from `from` to `to`: the events row and the new state commit together,
    /// and `extra` runs in the same transaction (e.g. inserting the attempt).
    /// - Throws: `StoreError` if the job is not in `from` or the state machine forbids the move.
    @discardableResult
    func transition<T>(_ id: Int64, from: JobState, to: JobState, reason: String?, detail: String? = nil,
                       extra: (Database) throws -> T) throws -> T {
        let out: T = try db.write { db in
            guard let cur = try String.fetchOne(db.cachedStatement(sql: "SELECT state FROM jobs WHERE id = ?"), arguments: [id]) else {
                throw StoreError(message: "no job \(id)")
            }
            guard cur == from.rawValue, from.canMove(to: to) else {
                throw StoreError(message: "job \(id): cannot move \(cur) → \(to.rawValue) (expected \(from.rawValue))")
            }
            try db.cachedStatement(sql: "INSERT INTO events(at, job_id, kind, from_state, to_state, detail) VALUES (?, ?, 'transition', ?, ?, ?)").execute(
                           arguments: [Self.now, id, from.rawValue, to.rawValue, detail ?? reason])
            try db.cachedStatement(sql: "UPDATE jobs SET state = ?, reason = ? WHERE id = ?").execute(arguments: [to.rawValue, reason, id])
            if to == .running {
                try db.cachedStatement(sql: "UPDATE jobs SET started_at = COALESCE(started_at, ?) WHERE id = ?").execute(arguments: [Self.now, id])
            }
            if to.isTerminal { try db.cachedStatement(sql: "UPDATE jobs SET finished_at = ? WHERE id = ?").execute(arguments: [Self.now, id]) }
            return try extra(db)
        }
        Self.logTransition(job: id, from: from, to: to, detail: detail ?? reason)
        return out
    }

    func transition(_ id: Int64, from: JobState, to: JobState, reason: String?, detail: String? = nil) throws {
        try transition(id, from: from, to: to, reason: reason, detail: detail) { _ in () }
    }

    func setCancelRequested(_ id: Int64) throws {
        try db.write { db in
            try db.cachedStatement(sql: "INSERT INTO events(at, job_id, kind) VALUES (?, ?, 'cancel-requested')").execute(arguments: [Self.now, id])
            try db.cachedStatement(sql: "UPDATE jobs SET cancel_requested = 1 WHERE id = ?").execute(arguments: [id])
        }
        Self.logEvent(kind: "cancel-requested", job: id, detail: nil)
    }

    func event(job: Int64?, kind: String, detail: String?) throws {
        try db.write { db in
            try db.cachedStatement(sql: "INSERT INTO events(at, job_id, kind, detail) VALUES (?, ?, ?, ?)").execute(arguments: [Self.now, job, kind, detail])
        }
        Self.logEvent(kind: kind, job: job, detail: detail)
    }
}
