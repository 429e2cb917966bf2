// Live progress as a user sees it: `cohort run` on a terminal (a pseudo-terminal made by
// util-linux `script`) redraws rank 0's bar with an ETA while the epoch runs; `submit --follow`
// into a pipe prints whole plain lines; `status` names the checkpoint's path and the total steps.
import Foundation
import XCTest

final class LiveProgressTests: XCTestCase {
    /// An epoch of a few seconds (938 steps of a 784-512-512-10 MLP), so the 0.5 s redraws show.
    static let heavy = """
    name: live
    model: {kind: mlp, hidden: [512, 512]}
    data: {kind: fashion-mnist}
    train: {epochs: 1, batch_per_rank: 32, optimizer: sgd, lr: 0.05, seed: 3}
    parallel: {ranks: 2}
    checkpoint: {every_steps: 400}
    """

    func testRunOnATerminalRedrawsTheBarWithAnETABeforeTheEpochEnds() throws {
        guard CLI.haveData else { throw XCTSkip("Fashion-MNIST is not installed (dataset-fashion-mnist)") }
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/script") else { throw XCTSkip("util-linux script is not installed") }
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Self.heavy.write(toFile: dir + "/live.yaml", atomically: true, encoding: .utf8)
        // script gives the command a terminal on stdout and stderr and copies what it draws to ours.
        let r = try CLI.exec("/usr/bin/script", ["-qfec", "'\(CLI.binary)' run -n 2 live.yaml", "/dev/null"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stdout)
        let out = r.stdout
        guard let end = out.range(of: "epoch 1/1  loss") else { return XCTFail("no end-of-epoch line:\n\(out)") }
        // A redraw: carriage return, erase line, the rank's prefix, the bar, a real ETA (not --:--).
        let redraw = try NSRegularExpression(pattern: "\r\u{1B}\\[2K\\[0\\] epoch 1/1 [█·]+ \\d+/\\d+  loss \\d\\.\\d{4}  \\d+ samples/s  ETA \\d+:\\d\\d")
        let before = String(out[..<end.lowerBound])
        let n = redraw.numberOfMatches(in: before, range: NSRange(before.startIndex..., in: before))
        XCTAssertGreaterThanOrEqual(n, 1, "no live redraw with an ETA before the epoch ended:\n\(before.suffix(2000))")
    }

    func testStatusShowsAnETAWhileRunningAndFollowIntoAPipeIsPlainLines() throws {
        guard CLI.haveData else { throw XCTSkip("Fashion-MNIST is not installed (dataset-fashion-mnist)") }
        let cluster = try LocalCluster(name: "live", slots: [2])
        defer { cluster.shutdown() }
        let id = try cluster.submit(Self.heavy)
        try cluster.waitUntil(seconds: 60, "job \(id) reports progress") { try cluster.step(id) > 0 || cluster.state(id) == "SUCCEEDED" }
        let running = try cluster.cohort(["status", id])
        if running.stdout.contains("RUNNING") {
            XCTAssertNotNil(try cluster.status(id)["eta_seconds"] ?? nil, running.stdout)
            XCTAssertTrue(running.stdout.range(of: #"progress:   step \d+/938  loss \d\.\d{4}  \d+ samples/s  ETA \d+:\d\d"#, options: .regularExpression) != nil, running.stdout)
        }
        let r = try cluster.cohort(["logs", id, "--follow"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertFalse(r.stdout.contains("\r") || r.stdout.contains("\u{1B}"), "a pipe got redraws:\n\(r.stdout.debugDescription.prefix(1500))")
        XCTAssertTrue(r.stdout.contains("[0] epoch 1/1  loss"), r.stdout)
        XCTAssertTrue(r.stdout.contains("[0] final test accuracy"), r.stdout)
        let status = try cluster.status(id)
        let path = status["last_checkpoint_path"] as? String ?? ""
        XCTAssertTrue(path.hasPrefix(cluster.checkpoints(id) + "/step-"), "\(status)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: path + "/manifest.json"), path)
        XCTAssertEqual(status["total_steps"] as? Int, 938, "\(status)")  // 60,000 images / (2 × 32), rounded up
        let text = try cluster.cohort(["status", id]).stdout
        XCTAssertTrue(text.contains("checkpoint: step 938  \(path)"), text)
        XCTAssertTrue(text.contains("progress:   step 938/938"), text)
        XCTAssertTrue(FileManager.default.fileExists(atPath: cluster.checkpoints(id) + ".metrics.jsonl"), "metrics next to the checkpoints")
        let quiet = try cluster.cohort(["logs", id, "--rank", "1"])
        XCTAssertTrue(quiet.stderr.contains("note: rank 1 of job \(id) has printed nothing yet (only rank 0 prints progress"), quiet.stderr)
    }
}
