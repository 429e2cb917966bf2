// Tests: the built `cohort` binary's job commands: exit 3 when the coordinator cannot be reached
// (after the timeout, never hanging), 64 for a bad flag, and the error/hint lines.
import Foundation
import XCTest

final class CLITests: XCTestCase {
    static var cohort: String {
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? ""
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        while dir.path != "/" && !FileManager.default.fileExists(atPath: dir.appendingPathComponent("cohort").path) {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("cohort").path
    }

    func run(_ args: [String]) throws -> (code: Int32, out: String, err: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.cohort)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    func testUnreachableCoordinatorExits3() throws {
        for cmd in [["status", "1"], ["list"], ["nodes"], ["cancel", "1"], ["logs", "1"]] {
            let r = try run(cmd + ["--coordinator", "tcp://127.0.0.1:9", "--timeout-ms", "200"])
            XCTAssertEqual(r.code, 3, "\(cmd): \(r.err)")
            XCTAssertTrue(r.err.hasPrefix("error: could not reach the coordinator at tcp://127.0.0.1:9"), r.err)
            XCTAssertTrue(r.err.contains("hint: "), r.err)
        }
    }

    func testBadFlagsAreUsageErrors() throws {
        XCTAssertEqual(try run(["status", "1", "--timeout-ms", "0"]).code, 64)
        XCTAssertEqual(try run(["logs", "1", "--rank", "-1"]).code, 64)
        XCTAssertEqual(try run(["list", "--state", "SLEEPING"]).code, 64)
        XCTAssertEqual(try run(["status", "1", "--coordinator", "127.0.0.1:5555"]).code, 64)
    }

    func testCoordinatorRefusesNonLoopbackBind() throws {
        let empty = NSTemporaryDirectory() + "cohort-cli-empty-\(getpid()).yaml"  // a config with no keys: the defaults
        FileManager.default.createFile(atPath: empty, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: empty) }
        let r = try run(["coordinator", "--config", empty, "--bind", "tcp://0.0.0.0:5555", "--state-dir", NSTemporaryDirectory() + "cohort-cli-\(getpid())"])
        XCTAssertEqual(r.code, 1)
        XCTAssertTrue(r.err.contains("refusing a non-loopback address"), r.err)
    }

    /// `cohort run` with the real trainer; Ctrl-C cancels the job and exits 2 promptly.
    func testRunCancelsItsJobOnSIGINT() throws {
        // Its own directory: `cohort run` keeps checkpoints/<job name> under the current one, and a
        // second run there would resume from the first's.
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let spec = dir + "/run-sigint.yaml"
        try "name: run-sigint\nmodel: {kind: mlp, hidden: [64]}\ndata: {kind: fashion-mnist}\ntrain: {epochs: 50, batch_per_rank: 64, optimizer: sgd, lr: 0.01}\nparallel: {ranks: 1}\n"
            .write(toFile: spec, atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.cohort)
        p.arguments = ["run", "-n", "1", spec]
        p.currentDirectoryURL = URL(fileURLWithPath: dir)
        try XCTSkipUnless(CLI.haveData, "needs the Fashion-MNIST data set")
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        // The followed log reaches stdout; SIGINT goes once the rank says it trains.
        let seen = OutputCollector()
        out.fileHandleForReading.readabilityHandler = { seen.append($0.availableData) }
        try p.run()
        let deadline = Date().addingTimeInterval(60)
        while !seen.text.contains("training run-sigint"), p.isRunning, Date() < deadline { usleep(20_000) }
        XCTAssertTrue(seen.text.contains("training run-sigint"), "the rank never started training:\n\(seen.text)")
        kill(p.processIdentifier, SIGINT)
        let start = Date()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        out.fileHandleForReading.readabilityHandler = nil
        XCTAssertEqual(p.terminationStatus, 2, text)
        XCTAssertTrue(text.contains("CANCELLED"), text)
        XCTAssertLessThan(Date().timeIntervalSince(start), 15)
    }
}

/// Bytes a pipe's reader delivers on its own thread, read by the test's.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ d: Data) { lock.lock(); data.append(d); lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return String(decoding: data, as: UTF8.self) }
}
