// Bad input as a new user meets it: each answer is one `error:` line naming the file and the OS
// reason (never Foundation's error domains), a `hint:` where the fix is known, exit 1, and
// failures that can be seen before training are reported before it.
import Foundation
import XCTest

final class BadInputTests: XCTestCase {
    func testAMissingSpecReadsTheSameInTrainRunAndSubmit() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for command in ["train", "run", "submit"] {
            let r = try CLI.run([command, "nope.yaml"], cwd: dir)
            XCTAssertEqual(r.status, 1, "\(command): \(r.stderr)")
            XCTAssertEqual(r.stderr, "error: job spec not found: nope.yaml\nhint: see cluster/jobs/ for example specs\n", command)
        }
    }

    func testASpecTypoIsCaughtBeforeLaunchNamingTheUsersFile() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "name: t\nmodel: {kind: mlp, hidden: [8]}\ndata: {kind: fashion-mnist}\ntrain: {epoch: 2, batch_per_rank: 8}\n"
            .write(toFile: dir + "/typo.yaml", atomically: true, encoding: .utf8)
        // No coordinator listens at this endpoint: the spec is refused before any is asked.
        for args in [["run", "typo.yaml"], ["submit", "typo.yaml", "--follow", "--coordinator", "tcp://127.0.0.1:9"]] {
            let r = try CLI.run(args, cwd: dir)
            XCTAssertEqual(r.status, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.hasPrefix("error: invalid job spec typo.yaml: unknown key 'train.epoch'; did you mean 'epochs'?"), "\(args): \(r.stderr)")
        }
    }

    func testAnUncreatableCheckpointDirectoryNamesTheOSReason() throws {
        let r = try CLI.run(["train", "cluster/jobs/fashion-mlp.yaml", "--checkpoint-dir", "/proc/no-such-dir/ck"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.hasPrefix("error: cannot create checkpoint directory /proc/no-such-dir/ck: No such file or directory"), r.stderr)
    }

    func testAnUnwritableCheckpointDirectoryFailsBeforeTraining() throws {
        guard getuid() == 0 else { throw XCTSkip("needs root to run as nobody") }
        guard CLI.haveData else { throw XCTSkip("Fashion-MNIST is not installed (dataset-fashion-mnist)") }
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/ck", withIntermediateDirectories: true)
        chmod(dir, 0o755); chmod(dir + "/ck", 0o555)
        try "name: ro\nmodel: {kind: mlp, hidden: [8]}\ndata: {kind: fashion-mnist}\ntrain: {epochs: 1, batch_per_rank: 64, optimizer: sgd, lr: 0.05, max_steps: 2}\n"
            .write(toFile: dir + "/ro.yaml", atomically: true, encoding: .utf8)
        chmod(dir + "/ro.yaml", 0o644)
        let r = try CLI.exec("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", CLI.binary, "train", dir + "/ro.yaml",
                                                  "--checkpoint-dir", dir + "/ck"], cwd: dir)
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("error: cannot write checkpoints into \(dir)/ck: Permission denied"), r.stderr)
        XCTAssertFalse(r.stderr.contains("step 1/"), "trained before refusing: \(r.stderr)")
    }

    func testATruncatedManifestIsNotValidJSONNotAFoundationError() throws {
        guard CLI.haveData else { throw XCTSkip("Fashion-MNIST is not installed (dataset-fashion-mnist)") }
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "name: t\nmodel: {kind: mlp, hidden: [8]}\ndata: {kind: fashion-mnist}\ntrain: {epochs: 1, batch_per_rank: 64, optimizer: sgd, lr: 0.05, max_steps: 2}\ncheckpoint: {every_steps: 1}\n"
            .write(toFile: dir + "/t.yaml", atomically: true, encoding: .utf8)
        XCTAssertEqual(try CLI.run(["train", "t.yaml", "--checkpoint-dir", "ck"], cwd: dir).status, 0)
        let manifest = dir + "/ck/step-00000002/manifest.json"
        try Data(try Data(contentsOf: URL(fileURLWithPath: manifest)).prefix(40)).write(to: URL(fileURLWithPath: manifest))
        let r = try CLI.run(["eval", "ck"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("checkpoint manifest ck/step-00000002/manifest.json is unreadable: not valid JSON (truncated or corrupt)"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Domain"), r.stderr)
    }

    func testASecondCoordinatorOnAUsedPortSaysSoWithAHint() throws {
        let cluster = try LocalCluster(name: "port", slots: [])
        defer { cluster.shutdown() }
        let r = try CLI.run(["coordinator", "--config", cluster.dir + "/coordinator.yaml", "--bind", cluster.endpoint, "--state-dir", cluster.dir + "/other"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr, "error: cannot listen on \(cluster.endpoint): address already in use (another coordinator?)\n"
                       + "hint: stop the process that listens there, or pass --bind tcp://127.0.0.1:PORT with another port\n")
    }

    func testARelativeStateDirectoryIsTakenFromTheCurrentDirectory() throws {
        // Attempts run mpirun inside their own directories, where a relative path names nothing.
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "metrics_port: null\n".write(toFile: dir + "/c.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.exec("/usr/bin/timeout", ["2", CLI.binary, "coordinator", "--config", "c.yaml", "--bind", "tcp://127.0.0.1:*", "--state-dir", "state"], cwd: dir)
        XCTAssertTrue(r.stdout.contains("state in \(dir)/state"), r.stdout + r.stderr)
    }
}
