// Tests: with 10,000 finished jobs in the store (written straight into its SQLite file with the
// sqlite3 tool, each with an attempt, ten progress points and a checkpoint), `list` pages and
// `submit` cost what they cost on an empty store, `list` follows pages to every job, no reply
// exceeds the documented maximum, and 30 concurrent full-page lists do not delay a heartbeat's
// liveness decision: a running job with heartbeating ranks is not faulted. Latencies are printed;
// the p99 bounds of docs/protocol.md are asserted with COHORT_STRICT_TIMING=1 (a shared machine
// makes them noisy), and bounds ten times looser, which still catch a cost that grows with the
// store, always. The coordinator's own CPU time per submit, from its metrics page, is held to the
// same bounds: on a busy machine it stays low while the round trip waits for CPUs.
import Coordinator
import Foundation
import Wire
import XCTest

final class ScaleTests: XCTestCase {
    static let finished = 10_000
    static let submits = 600
    let strict = ProcessInfo.processInfo.environment["COHORT_STRICT_TIMING"] == "1"

    /// The store of a coordinator that ran once, plus `finished` terminal jobs.
    func preload(_ cluster: TestCluster) throws {
        try cluster.startCoordinator()
        cluster.coordinator?.stop()
        try TestCluster.sqlite(cluster.dir + "/state/coordinator.sqlite", """
        BEGIN;
        WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(Self.finished))
        INSERT INTO jobs(name, spec, ranks, priority, state, reason, submitted_at, started_at, finished_at, exit_code, attempts, max_restarts)
        SELECT 'finished-' || x, 'name: finished', 2, 0, CASE x % 3 WHEN 0 THEN 'FAILED' WHEN 1 THEN 'SUCCEEDED' ELSE 'CANCELLED' END,
               'exit code 0', x, x, x + 1, 0, 1, 0 FROM c;
        INSERT INTO attempts(job_id, number, allocation, dir, started_at, finished_at, exit_code, outcome)
        SELECT id, 1, '[{"node":"node-a","address":"127.0.0.1","slots":2}]', '/nonexistent/' || id, 0, 1, 0, 'succeeded' FROM jobs;
        INSERT INTO progress(job_id, rank, step, loss, samples_per_s, at)
        SELECT j.id, 0, s.x * 10, 1.0 / s.x, 1000, 0 FROM jobs j,
               (WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 10) SELECT x FROM c) s;
        INSERT INTO checkpoints(job_id, step, path, at) SELECT id, 100, '/nonexistent', 0 FROM jobs;
        COMMIT;
        """)
    }

    /// The 1-minute load average, printed with every latency (other processes share the cores).
    static func load() -> String {
        String((try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first ?? "?")
    }

    func p50(_ ms: [Double]) -> Double { ms.sorted()[ms.count / 2] }

    func p99(_ ms: [Double]) -> Double { let s = ms.sorted(); return s[min(s.count - 1, s.count * 99 / 100)] }

    func time(_ body: () throws -> Void) rethrows -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        try body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6
    }

    func testTenThousandFinishedJobs() throws {
        let cluster = try TestCluster(name: "scale")
        defer { cluster.shutdown() }
        try preload(cluster)
        let client = try cluster.start()

        // Every job, page by page; no reply over the limit (the client would time out on one).
        let all = try client.list()
        XCTAssertEqual(all.count, Self.finished)
        XCTAssertEqual(Set(all.map(\.id)).count, Self.finished)
        let big = try client.listPage(limit: 1000)
        XCTAssertEqual(big.total, Self.finished)
        XCTAssertEqual(big.jobs.count, 1000)
        XCTAssertLessThanOrEqual(MessageCodec.encode({ var m = Message(.ok); m.jobs = big.jobs; return m }()).count, WireLimits.replyBytes)
        XCTAssertEqual(big.jobs.first?.progress?.step, 100)
        XCTAssertEqual(big.jobs.first?.lastCheckpointStep, 100)

        var list: [Double] = [], submit: [Double] = [], status: [Double] = []
        for _ in 0 ..< 300 { list.append(try time { _ = try client.listPage() }) }
        // Timed from the first submit: the coordinator parses a spec before it serves (the parser's
        // one-time setup), and the first submit's statement preparation is one sample of 600.
        // 600 submits: the p99 is then the 6th slowest, not the 2nd of 200 (one preemption).
        for i in 0 ..< Self.submits {
            // A job that queues (more ranks than the cluster, waiting for nodes), cancelled at once.
            // The spec is made outside the timing: it writes the fake worker's parameter file (fsync).
            var id = ""
            let spec = cluster.spec("queued-\(i)", ranks: 9)
            submit.append(try time { id = try client.submit(spec: spec, waitForNodes: true).id })
            status.append(try time { _ = try client.status(id) })
            _ = try client.cancel(id)
        }
        // The coordinator's own share of a submit, from its metrics page: the serving thread's CPU
        // time, without the waits for a CPU that a round trip on a busy machine also holds.
        let metrics = try httpFetch(port: try XCTUnwrap(cluster.coordinator?.metricsPort), path: "/metrics").body
        func submitsServedWithin(_ le: String) -> Int? {
            let prefix = "cohort_serve_cpu_seconds_bucket{type=\"submit\",le=\"\(le)\"} "
            return metrics.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
        }
        let served = try XCTUnwrap(submitsServedWithin("+Inf"), metrics)
        XCTAssertEqual(served, Self.submits)
        let within = ["0.001", "0.002", "0.005", "0.05"].map { submitsServedWithin($0) ?? -1 }
        print("scale: serving CPU per submit (coordinator's metrics): \(within[0]) of \(served) within 1 ms, \(within[1]) within 2 ms, \(within[2]) within 5 ms")
        XCTAssertGreaterThanOrEqual(within[strict ? 2 : 3] * 100, served * 99, "fewer than 99% of submits were served within \(strict ? 5 : 50) ms of CPU")
        let page = MessageCodec.encode({ var m = Message(.ok); m.jobs = Array(big.jobs.prefix(100)); return m }())
        let decode = (0 ..< 50).map { _ in time { _ = MessageCodec.decode(page, limit: 4 << 20) } }
        print(String(format: "scale: %d finished jobs, load %@: list (page of 50) p50 %.2f p99 %.2f ms (%d), submit p50 %.2f p99 %.2f max %.2f ms (%d), status p50 %.2f p99 %.2f ms; decoding one page in the client: p50 %.2f ms",
                     Self.finished, Self.load(), p50(list), p99(list), list.count, p50(submit), p99(submit), submit.max() ?? 0, submit.count,
                     p50(status), p99(status), p50(decode)))
        XCTAssertLessThan(p99(list), strict ? 20 : 200)
        XCTAssertLessThan(p99(submit), strict ? 5 : 50)
        XCTAssertLessThan(p99(status), strict ? 5 : 50)
    }

    /// Submit latency with the store's default (WAL, synchronous=NORMAL) against an fsync per
    /// commit (`sync_every_commit: true`, synchronous=FULL), alternating between two coordinators
    /// in one run, each with 10,000 finished jobs. Printed, not asserted (a shared disk); both keep
    /// every acknowledged job.
    func testSubmitLatencyWithAndWithoutAnFsyncPerCommit() throws {
        var clients: [CoordinatorClient] = [], coordinators: [Coordinator] = [], clusters: [TestCluster] = []
        defer { coordinators.forEach { $0.stop() }; clusters.forEach { $0.shutdown() } }
        for sync in [false, true] {
            let cluster = try TestCluster(name: sync ? "scale-full" : "scale-normal")
            clusters.append(cluster)
            try preload(cluster)
            var c = cluster.config()
            c.syncEveryCommit = sync
            let coordinator = try Coordinator(config: c)
            try coordinator.start()
            coordinators.append(coordinator)
            clients.append(CoordinatorClient(endpoint: coordinator.endpoint))
        }
        var ms: [[Double]] = [[], []], ids: [[String]] = [[], []]
        for i in 0 ..< 150 {
            for k in [i % 2, 1 - i % 2] {  // alternate which goes first
                var id = ""
                ms[k].append(try time { id = try clients[k].submit(spec: clusters[k].spec("queued-\(i)", ranks: 9), waitForNodes: true).id })
                ids[k].append(id)
            }
        }
        print(String(format: "scale: submit with %d finished jobs, load %@: synchronous=NORMAL p50 %.2f p99 %.2f ms, FULL (sync_every_commit) p50 %.2f p99 %.2f ms",
                     Self.finished, Self.load(), p50(ms[0]), p99(ms[0]), p50(ms[1]), p99(ms[1])))
        for k in 0 ..< 2 { XCTAssertEqual(try clients[k].listPage(state: .pending, limit: 1000).total, ids[k].count) }
    }

    func testConcurrentListsDoNotFaultARunningJob() throws {
        let cluster = try TestCluster(name: "scale-live")
        defer { cluster.shutdown() }
        try preload(cluster)
        let client = try cluster.start()
        let job = try client.submit(spec: cluster.spec("live", ranks: 2, sleep: 60))
        let attempt = try XCTUnwrap(cluster.attempt(of: job.id))
        var fenced = false
        let reporters = (0 ..< 2).map { r in
            TrainerReporter(endpoint: cluster.endpoint, job: job.id, rank: r,
                            environment: ["COHORT_ATTEMPT": "\(attempt)", "COHORT_HEARTBEAT_MS": "200"])
        }
        for r in reporters { r.onFenced = { _ in fenced = true }; r.start() }
        // 30 clients at once, each asking for the largest page, for three seconds.
        let until = Date().addingTimeInterval(3)
        var served = 0
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 30) { _ in
            let c = CoordinatorClient(endpoint: cluster.endpoint, timeoutMs: 30_000)
            while Date() < until { if (try? c.listPage(limit: 1000)) != nil { lock.lock(); served += 1; lock.unlock() } }
        }
        let s = try client.status(job.id)
        print("scale: \(served) lists of 1000 jobs served by one coordinator while a job ran; its state \(s.state.rawValue)")
        XCTAssertGreaterThan(served, 0)
        XCTAssertFalse(fenced, "a healthy rank was fenced")
        XCTAssertEqual(s.state, .running, s.reason ?? "")
        XCTAssertEqual(s.attempts, 1, "the job was faulted: \(s.history ?? [])")
        XCTAssertEqual(try client.nodes().filter(\.live).count, 2, "a live node was declared lost")
        reporters.forEach { $0.stop() }
        _ = try client.cancel(job.id)
    }
}
