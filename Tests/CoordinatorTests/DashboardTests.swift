// Tests: the web dashboard of a real coordinator with a running, reporting job, driven in headless
// Chromium (the page loads, the job appears, its loss chart has a point per report), and its
// access rules: a foreign Host name is refused on loopback, and `cohort dashboard`'s proxy on a
// non-loopback address (a veth pair into a network namespace this test makes) needs the token.
import Coordinator
import Foundation
import Wire
import XCTest

final class DashboardTests: XCTestCase {
    static let chromium = "/usr/bin/chromium"

    /// `chromium --headless` on `url`: the DOM after the page's scripts ran, and a screenshot.
    func headless(_ url: String, dir: String, screenshot: String? = nil) throws -> String {
        var args = [Self.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=\(dir)/chromium",
                    "--window-size=1280,1000", "--virtual-time-budget=6000"]
        args += screenshot.map { ["--screenshot=\($0)", "--hide-scrollbars"] } ?? ["--dump-dom"]
        let r = try runTool(["timeout", "60"] + args + [url])
        XCTAssertEqual(r.status, 0, r.output)
        return r.output
    }

    func testDashboardInHeadlessChromium() throws {
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: Self.chromium), "needs chromium (apt-get install chromium)")
        let cluster = try TestCluster(name: "dash")
        defer { cluster.shutdown() }
        let client = try cluster.start()
        let job = try client.submit(spec: cluster.spec("dash <b>job</b>", ranks: 2, sleep: 60))
        let attempt = try XCTUnwrap(cluster.attempt(of: job.id), "the job's ranks did not start")
        let reporter = TrainerReporter(endpoint: cluster.endpoint, job: job.id, rank: 0, environment: ["COHORT_ATTEMPT": "\(attempt)"])
        reporter.start()
        reporter.hello(worldSize: 2, startStep: 0)
        for step in stride(from: 10, through: 200, by: 10) {
            reporter.progress(step: step, loss: 2.3 * exp(-Double(step) / 80) + 0.3, samplesPerSecond: 9000 + Double(step))
        }
        reporter.checkpointCommitted(step: 200, path: "/tmp/ckpt/step-00000200")
        reporter.stop()
        let port = try XCTUnwrap(cluster.coordinator?.metricsPort)

        let overview = try httpFetch(port: port, path: "/api/overview")
        XCTAssertEqual(overview.status, 200, overview.body)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(overview.body.utf8)) as? [String: Any])
        let jobs = try XCTUnwrap(o["jobs"] as? [[String: Any]])
        XCTAssertEqual(jobs.first?["state"] as? String, "RUNNING", overview.body)
        XCTAssertEqual(jobs.first?["step"] as? Int, 200)
        XCTAssertEqual(jobs.first?["total_steps"] as? Int, 3750)  // 60,000 images / (8 × 2) per step
        XCTAssertNotNil(jobs.first?["eta_s"], overview.body)
        XCTAssertEqual((o["nodes"] as? [[String: Any]])?.count, 2, overview.body)
        let detail = try httpFetch(port: port, path: "/api/jobs/\(job.id)")
        XCTAssertTrue(detail.body.contains("\"points\":[[10,"), detail.body)
        XCTAssertTrue(detail.body.contains("job \(job.id) rank 0 line 0"), "log tail: \(detail.body)")
        XCTAssertEqual(try httpFetch(port: port, path: "/api/jobs/999").status, 404)

        let dom = try headless("http://127.0.0.1:\(port)/", dir: cluster.dir)
        XCTAssertTrue(dom.contains("data-job=\"\(job.id)\""), dom)
        XCTAssertTrue(dom.contains(">RUNNING<"), dom)
        XCTAssertTrue(dom.contains("data-count=\"20\""), "the loss chart should have 20 points: \(dom)")
        XCTAssertTrue(dom.contains("dash &lt;b&gt;job&lt;/b&gt;") && !dom.contains("<b>job</b>"), "the job name must be escaped: \(dom)")
        XCTAssertTrue(dom.contains("line 4"), "the log tail: \(dom)")
        XCTAssertTrue(dom.contains("node-a") && dom.contains("2 / 2"), dom)
        let png = cluster.dir + "/dashboard.png"
        _ = try headless("http://127.0.0.1:\(port)/", dir: cluster.dir, screenshot: png)
        XCTAssertEqual(FileManager.default.contents(atPath: png)?.prefix(4), Data([0x89, 0x50, 0x4E, 0x47]), "no PNG screenshot")

        // A page elsewhere that rebinds its DNS name to 127.0.0.1 is refused.
        XCTAssertEqual(try httpFetch(port: port, path: "/api/overview", headers: ["Host": "evil.example:\(port)"]).status, 403)
        XCTAssertEqual(try client.cancel(job.id).id, job.id)
    }

    func testBeyondLoopbackNeedsTheToken() throws {
        try XCTSkipUnless(getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/curl"), "needs root (network namespaces) and curl")
        let cluster = try TestCluster(name: "dashtoken")
        defer { cluster.shutdown() }
        _ = try cluster.start()
        let port = try XCTUnwrap(cluster.coordinator?.metricsPort)
        // A veth pair: 10.250.x.1 here, 10.250.x.2 in a namespace made for this test.
        let n = Int(getpid() % 200) + 20, ns = "cohort-dash-\(getpid())", here = "cdh\(getpid())", there = "cdn\(getpid())"
        let hostIP = "10.250.\(n).1", nsIP = "10.250.\(n).2"  // netns-cluster.sh takes 10.20–10.219
        defer { _ = try? runTool(["ip", "link", "del", here]); _ = try? runTool(["ip", "netns", "del", ns]) }
        for cmd in [["ip", "netns", "add", ns], ["ip", "link", "add", here, "type", "veth", "peer", "name", there],
                    ["ip", "link", "set", there, "netns", ns], ["ip", "addr", "add", "\(hostIP)/30", "dev", here], ["ip", "link", "set", here, "up"],
                    ["ip", "-n", ns, "addr", "add", "\(nsIP)/30", "dev", there], ["ip", "-n", ns, "link", "set", there, "up"],
                    ["ip", "-n", ns, "link", "set", "lo", "up"]] {
            let r = try runTool(cmd)
            XCTAssertEqual(r.status, 0, "\(cmd.joined(separator: " ")): \(r.output)")
        }
        XCTAssertThrowsError(try DashboardProxy(host: hostIP, port: 0, token: nil, metricsPort: port)) {
            XCTAssertTrue("\($0)".contains("needs a token"), "\($0)")
        }
        let token = "k9Qw2mXa7Lp0Zt4R"
        let proxy = try DashboardProxy(host: hostIP, port: 0, token: token, metricsPort: port)
        defer { proxy.stop() }
        func status(_ path: String, _ extra: [String] = []) throws -> String {
            try runTool(["ip", "netns", "exec", ns, "curl", "-s", "-m", "10", "-o", "/dev/null", "-w", "%{http_code}"] + extra
                        + ["http://\(hostIP):\(proxy.port)\(path)"]).output
        }
        XCTAssertEqual(try status("/"), "401")
        XCTAssertEqual(try status("/api/overview"), "401")
        XCTAssertEqual(try status("/metrics"), "401")
        XCTAssertEqual(try status("/api/overview", ["-H", "Authorization: Bearer wrong-token-0000000"]), "403")
        XCTAssertEqual(try status("/api/overview", ["-H", "Authorization: Bearer \(token)"]), "200")
        XCTAssertEqual(try status("/?token=\(token)"), "200")
        // The coordinator's own port listens on loopback only: from the namespace it is not there.
        XCTAssertEqual(try status("/metrics").count, 3)
        XCTAssertEqual(try runTool(["ip", "netns", "exec", ns, "curl", "-s", "-m", "3", "http://\(hostIP):\(port)/metrics"]).status, 7)
    }
}
