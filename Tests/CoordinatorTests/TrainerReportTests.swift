// Tests: what trainers report (hello, progress with evaluations, checkpoint-committed, heartbeat
// through TrainerReporter) shows in `status`, in the metrics endpoint and in `cohort plot`'s SVG;
// the coordinator's collective settings reach the attempt's mpirun line.
import Coordinator
import Foundation
import Wire
import XCTest

final class TrainerReportTests: XCTestCase {
    func httpGet(port: Int) throws -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        XCTAssertEqual(rc, 0)
        _ = "GET /metrics HTTP/1.0\r\n\r\n".withCString { write(fd, $0, strlen($0)) }
        var out = Data(), buf = [UInt8](repeating: 0, count: 4096)
        while true { let n = read(fd, &buf, buf.count); if n <= 0 { break }; out.append(contentsOf: buf[0 ..< n]) }
        return String(decoding: out, as: UTF8.self)
    }

    func testProgressCheckpointsMetricsAndPlot() throws {
        let cluster = try TestCluster(name: "report")
        defer { cluster.shutdown() }
        // A collective setting in the coordinator's environment reaches every rank (mpirun -x).
        setenv("COHORT_SOCKET_RING", "1", 1)
        defer { unsetenv("COHORT_SOCKET_RING") }
        let client = try cluster.start()
        let job = try client.submit(spec: cluster.spec("trainer", ranks: 2, sleep: 30))
        let attempt = try XCTUnwrap(cluster.attempt(of: job.id), "the job's ranks did not start")
        let reporter = TrainerReporter(endpoint: cluster.endpoint, job: job.id, rank: 0, environment: ["COHORT_ATTEMPT": "\(attempt)"])
        reporter.onFenced = { XCTFail("fenced: \($0)") }
        reporter.start()
        reporter.hello(worldSize: 2, startStep: 0)
        for step in 1 ... 20 { reporter.progress(step: step, loss: 2.0 / Double(step), samplesPerSecond: 1000 + Double(step)) }
        reporter.evaluation(step: 10, metric: "val_loss", value: 1.5)
        reporter.evaluation(step: 20, metric: "val_loss", value: 1.25)
        reporter.checkpointCommitted(step: 20, path: "/tmp/ckpt/step-00000020")
        reporter.stop()
        let s = try client.status(job.id)
        XCTAssertEqual(s.progress?.step, 20)
        XCTAssertEqual(s.progress?.samplesPerS, 1020)
        XCTAssertEqual(s.lastCheckpointStep, 20)
        XCTAssertTrue(TableFormat.status(s).contains("step 20/3750  loss 0.1000  1020 samples/s  ETA "), TableFormat.status(s))
        XCTAssertTrue(TableFormat.status(s).contains("checkpoint: step 20  /tmp/ckpt/step-00000020"), TableFormat.status(s))
        XCTAssertEqual(s.evaluation, Evaluation(metric: "val_loss", value: 1.25, step: 20), "the latest evaluation")
        XCTAssertTrue(TableFormat.status(s).contains("evaluation: val_loss 1.2500 at step 20"), TableFormat.status(s))
        let run = try String(contentsOfFile: cluster.config().stateDir + "/jobs/\(job.id)/attempt-1/run.sh", encoding: .utf8)
        XCTAssertTrue(run.contains("'-x' 'COHORT_SOCKET_RING'"), run)
        XCTAssertFalse(run.contains("COHORT_SPIN_US"), "only variables that are set are forwarded: \(run)")

        let page = try httpGet(port: cluster.coordinator!.metricsPort!)
        XCTAssertTrue(page.hasPrefix("HTTP/1.0 200 OK"), page)
        XCTAssertTrue(page.contains("cohort_jobs{state=\"RUNNING\"} 1"), page)
        XCTAssertTrue(page.contains("cohort_nodes_live 2"), page)
        XCTAssertTrue(page.contains("cohort_slots_used 2"), page)
        XCTAssertTrue(page.contains("cohort_job_samples_per_second{job=\"\(job.id)\"} 1020"), page)

        let points = try client.metrics(job.id)
        XCTAssertEqual(points.map(\.step), Array(1 ... 20), "an evaluation adds no progress point")
        let svg = SVGPlot.render(job: job.id, points: points)
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.contains("<polyline") && svg.hasSuffix("</svg>\n"))
        XCTAssertEqual(svg.components(separatedBy: "<polyline").count - 1, 2)  // loss and throughput
        XCTAssertEqual(try client.cancel(job.id).id, job.id)
        XCTAssertEqual(try client.wait(job.id, timeout: 20).state, .cancelled)
        // Reports about unknown jobs are refused, not crashed on.
        var bad = Message(.progress); bad.job = "999"; bad.step = 1; bad.loss = 1
        XCTAssertThrowsError(try RequestClient(endpoint: cluster.endpoint).call(bad))
    }
}
