// Implements: WALCheckpointer, which copies the store's write-ahead log into the database file
// from its own thread and its own connection, once every `interval`. Left to itself, SQLite
// checkpoints inside the commit that takes the log past 1,000 pages: on the coordinator's serving
// thread, a copy of ~4 MB and an fsync in the middle of whichever request committed: 15–20 ms on
// this disk (sqlite3: 7,600 frames in 107–149 ms), once every ~250 submits, which sets a submit's
// p99. The writer therefore runs with `wal_autocheckpoint = 0` while this runs. A PASSIVE
// checkpoint takes no lock a writer waits for: what a reader still needs stays for next time.
// Measured with Python's sqlite3 on this disk (a submit's and a cancel's commits, 3,000 times,
// load ~4, alternating): SQLite's own checkpoints p99 2.0–3.6 ms, p99.9 22–32 ms, max 35–120 ms;
// this thread p99 0.6–1.1 ms, p99.9 5–9 ms, max 8–18 ms; p50 0.20 against 0.23–0.24 ms.
import Foundation
import GRDB
import Wire

final class WALCheckpointer: @unchecked Sendable {
    /// How often the log is copied (a submit and its cancel add ~8 pages).
    static let interval: TimeInterval = 0.5

    private let queue: DatabaseQueue
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var stopping = false

    /// Opens a second connection to the store's file at `path`.
    /// - Throws: GRDB's `DatabaseError` if the file cannot be opened.
    init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(1)
        queue = try DatabaseQueue(path: path, configuration: config)
    }

    func start() {
        let t = Thread { [self] in run() }
        t.name = "wal-checkpoint"
        t.start()
    }

    /// Returns after the last checkpoint has ended; the connection closes with this object.
    func stop() {
        lock.lock(); stopping = true; lock.unlock()
        wake.signal()
        finished.wait()
    }

    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    private func run() {
        while !isStopping {
            do { _ = try queue.writeWithoutTransaction { try $0.checkpoint(.passive) } } catch {
                EventLog.log(.warn, "coordinator", ["detail": "WAL checkpoint: \(error)"])
            }
            _ = wake.wait(timeout: .now() + Self.interval)
        }
        finished.signal()
    }
}

extension Store {
    /// Moves checkpoints off the writer (the serving thread) onto a WALCheckpointer.
    /// - Throws: GRDB's `DatabaseError` if the second connection cannot be opened.
    func startCheckpointing() throws {
        guard checkpointer == nil else { return }
        let c = try WALCheckpointer(path: path)
        try db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 0") }
        c.start()
        checkpointer = c
    }

    /// Stops the checkpointer and gives checkpoints back to the writer (SQLite's default).
    func stopCheckpointing() {
        guard let c = checkpointer else { return }
        c.stop()
        checkpointer = nil
        try? db.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_autocheckpoint = 1000") }
    }
}
