// Tests: the coordinator's metrics page, scraped live while a job runs and reports, passes
// `promtool check metrics` (Debian's prometheus package) and carries the job's families and the
// coordinator's stall counters as the Coordinator reports them.
import Coordinator
import Foundation
import Wire
import XCTest

final class PrometheusTests: XCTestCase {
    func testLiveScrapePassesPromtool() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "needs promtool (apt-get install prometheus)")
        let cluster = try TestCluster(name: "prom")
        defer { cluster.shutdown() }
        let client = try cluster.start()
        let job = try client.submit(spec: cluster.spec("prom \"quoted\" job", ranks: 2, sleep: 30))
        let attempt = try XCTUnwrap(cluster.attempt(of: job.id), "the job's ranks did not start")
        let reporter = TrainerReporter(endpoint: cluster.endpoint, job: job.id, rank: 0, environment: ["COHORT_ATTEMPT": "\(attempt)"])
        reporter.start()
        reporter.hello(worldSize: 2, startStep: 0)
        for step in stride(from: 10, through: 100, by: 10) {
            reporter.progress(step: step, loss: 2.0 / Double(step), samplesPerSecond: 1000)
            usleep(5_000)
        }
        reporter.checkpointCommitted(step: 100, path: "/tmp/ckpt/step-00000100")
        reporter.stop()
        XCTAssertEqual(try client.status(job.id).progress?.step, 100)

        let coordinator = try XCTUnwrap(cluster.coordinator)
        let before = (coordinator.stallCount, coordinator.busyStallCount)
        let page = try httpFetch(port: coordinator.metricsPort!, path: "/metrics")
        let after = (coordinator.stallCount, coordinator.busyStallCount)
        XCTAssertEqual(page.status, 200, page.head)
        XCTAssertTrue(page.head.contains("text/plain; version=0.0.4"), page.head)
        let check = try runTool(["promtool", "check", "metrics"], input: page.body)
        XCTAssertEqual(check.status, 0, "promtool: \(check.output)\n\(page.body)")
        XCTAssertEqual(check.output.trimmingCharacters(in: .whitespacesAndNewlines), "", "promtool warnings: \(check.output)")

        // Every family has HELP and TYPE; _total only on counters.
        var types: [String: String] = [:], helps: Set<String> = []
        for line in page.body.split(separator: "\n") where line.hasPrefix("# ") {
            let f = line.split(separator: " ", maxSplits: 3).map(String.init)
            if f[1] == "TYPE" { types[f[2]] = f[3] } else if f[1] == "HELP" { helps.insert(f[2]) }
        }
        XCTAssertEqual(Set(types.keys), helps)
        for (name, type) in types { XCTAssertEqual(name.hasSuffix("_total"), type == "counter", name) }
        let id = job.id
        for line in ["cohort_job_step{job=\"\(id)\"} 100", "cohort_job_loss{job=\"\(id)\"} 0.02", "cohort_job_attempts_total{job=\"\(id)\"} 1",
                     "cohort_job_restarts_total{job=\"\(id)\"} 0", "cohort_job_checkpoint_step{job=\"\(id)\"} 100",
                     "cohort_job_step_duration_seconds_count{job=\"\(id)\"} 9", "cohort_job_step_duration_seconds_bucket{job=\"\(id)\",le=\"+Inf\"} 9",
                     "cohort_job_info{job=\"\(id)\",name=\"prom \\\"quoted\\\" job\",state=\"RUNNING\"} 1", "cohort_nodes_live 2", "cohort_slots 4"] {
            XCTAssertTrue(page.body.contains(line + "\n"), "missing \(line) in\n\(page.body)")
        }
        // The stall counters are the coordinator's own (a stall may land between the reads).
        func value(_ name: String) -> Int? {
            page.body.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Int($0.dropFirst(name.count + 1)) }
        }
        let stalls = try XCTUnwrap(value("cohort_stalls_total"), page.body), busy = try XCTUnwrap(value("cohort_busy_stalls_total"), page.body)
        XCTAssertTrue((before.0 ... after.0).contains(stalls), "cohort_stalls_total \(stalls), Coordinator.stallCount \(before.0)…\(after.0)")
        XCTAssertTrue((before.1 ... after.1).contains(busy), "cohort_busy_stalls_total \(busy), Coordinator.busyStallCount \(before.1)…\(after.1)")
        XCTAssertLessThanOrEqual(busy, stalls)
        XCTAssertTrue(page.body.contains("cohort_job_checkpoint_age_seconds{job=\"\(id)\"} "), page.body)
        XCTAssertTrue(page.body.contains("# TYPE cohort_job_step_duration_seconds histogram"), page.body)
        XCTAssertEqual(try client.cancel(job.id).id, job.id)
    }
}
