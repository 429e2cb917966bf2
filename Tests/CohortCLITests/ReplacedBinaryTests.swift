// A coordinator whose `cohort` is rebuilt or reinstalled while it runs (the new file renamed over
// the old one, as `swift build` and `install` do) still launches its jobs: it names the file at
// its path, not the old inode's "PATH (deleted)", which mpirun cannot start.
import Foundation
import XCTest

final class ReplacedBinaryTests: XCTestCase {
    func testAJobSubmittedAfterTheBinaryIsReplacedRuns() throws {
        try XCTSkipUnless(CLI.haveData, "needs the Fashion-MNIST data set")
        let bin = CLI.tempDir() + "-bin"
        defer { try? FileManager.default.removeItem(atPath: bin) }
        try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
        let exe = bin + "/cohort"
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: exe)
        let cluster = try LocalCluster(name: "replaced", slots: [1], binary: exe)
        defer { cluster.shutdown() }
        try FileManager.default.copyItem(atPath: CLI.binary, toPath: exe + ".new")
        XCTAssertEqual(rename(exe + ".new", exe), 0)
        let link = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(try XCTUnwrap(CLI.pids(matching: cluster.dir + "/coordinator.yaml").first))/exe")
        XCTAssertTrue(link.hasSuffix(" (deleted)"), "the coordinator still runs the old file: \(link)")
        let job = try cluster.submit("""
            name: replaced
            model: {kind: mlp, hidden: [16]}
            data: {kind: fashion-mnist}
            train: {epochs: 1, batch_per_rank: 64, optimizer: sgd, lr: 0.1, max_steps: 3}
            parallel: {ranks: 1}
            """)
        try cluster.waitUntil(seconds: 60, "the job to end") { ["SUCCEEDED", "FAILED"].contains(try cluster.state(job)) }
        XCTAssertEqual(try cluster.state(job), "SUCCEEDED", cluster.logs())
    }
}
