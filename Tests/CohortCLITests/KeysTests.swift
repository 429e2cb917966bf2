// Tests: `cohort keys` (files, modes, format, refusing to overwrite, bad names) and, end to end,
// a `cohort coordinator` with CURVE keys: `cohort nodes` with an authorized key (as options or
// as COHORT_KEY / COHORT_SERVER_KEY) gets a table, an unlisted key or none gets one error line.
import Foundation
import XCTest

final class KeysTests: XCTestCase {
    func testKeysWritesAPairAndAPublicKey() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try CLI.run(["keys", "alice", "--dir", dir])
        XCTAssertEqual(r.status, 0, r.stderr)
        let pub = r.stdout.trimmingCharacters(in: .newlines)
        XCTAssertEqual(pub.count, 40, r.stdout)
        XCTAssertEqual(try String(contentsOfFile: dir + "/alice.pub", encoding: .utf8), pub + "\n")
        let pair = try String(contentsOfFile: dir + "/alice.key", encoding: .utf8).split(separator: "\n")
        XCTAssertTrue(pair.contains("public: \(pub)"), "\(pair)")
        XCTAssertEqual(pair.filter { $0.hasPrefix("secret: ") }.first?.count, 48, "\(pair)")
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/alice.key")[.posixPermissions] as? Int
        XCTAssertEqual(mode, 0o600)

        let again = try CLI.run(["keys", "alice", "--dir", dir])
        XCTAssertEqual(again.status, 1)
        XCTAssertEqual(again.stderr, "error: \(dir)/alice.key already exists; pass --force to replace it\n")
        let forced = try CLI.run(["keys", "alice", "--dir", dir, "--force"])
        XCTAssertEqual(forced.status, 0, forced.stderr)
        XCTAssertNotEqual(forced.stdout, r.stdout)
        XCTAssertEqual(try CLI.run(["keys", "../alice", "--dir", dir]).status, 64)
        let missing = try CLI.run(["keys", "bob", "--dir", dir + "/nope"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderr, "error: --dir \(dir)/nope: no such directory\n")
    }

    /// A free loopback TCP port (bound and released).
    func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET); addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    func testCurveCoordinatorFromTheCommandLine() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["coordinator", "alice", "mallory", "worker"] { XCTAssertEqual(try CLI.run(["keys", name, "--dir", dir]).status, 0) }
        let alice = try String(contentsOfFile: dir + "/alice.pub", encoding: .utf8)
        let worker = try String(contentsOfFile: dir + "/worker.pub", encoding: .utf8)
        try "# who may connect\n\(alice.dropLast()) alice\n\(worker)".write(toFile: dir + "/authorized_keys", atomically: true, encoding: .utf8)
        let endpoint = "tcp://127.0.0.1:\(freePort())"
        try """
        bind: \(endpoint)
        state_dir: \(dir)/state
        metrics_port: null
        curve_secret_key: \(dir)/coordinator.key
        authorized_keys: \(dir)/authorized_keys
        worker_key: \(dir)/worker.key
        """.write(toFile: dir + "/coordinator.yaml", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["coordinator", "--config", dir + "/coordinator.yaml"]
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }

        let nodes = ["nodes", "--coordinator", endpoint, "--timeout-ms", "1000"]
        let keys = ["--server-key", dir + "/coordinator.pub"]
        var ok = try CLI.run(nodes + keys + ["--key", dir + "/alice.key"])
        for _ in 0 ..< 50 where ok.status != 0 { usleep(100_000); ok = try CLI.run(nodes + keys + ["--key", dir + "/alice.key"]) }
        XCTAssertEqual(ok.status, 0, ok.stderr)
        XCTAssertTrue(ok.stdout.hasPrefix("NODE"), ok.stdout)
        let env = try CLI.run(nodes, environment: ["COHORT_KEY": dir + "/alice.key", "COHORT_SERVER_KEY": dir + "/coordinator.pub"])
        XCTAssertEqual(env.status, 0, env.stderr)

        let refused = try CLI.run(nodes + keys + ["--key", dir + "/mallory.key"])
        XCTAssertEqual(refused.status, 1)
        let lines = refused.stderr.split(separator: "\n")
        XCTAssertEqual(lines.first, "error: the coordinator at \(endpoint) refused our CURVE key (not in its authorized keys)", refused.stderr)
        XCTAssertEqual(lines.count, 2, refused.stderr)
        XCTAssertTrue(lines.last?.hasPrefix("hint: ") ?? false, refused.stderr)
        let none = try CLI.run(nodes, environment: ["COHORT_KEY": "", "COHORT_SERVER_KEY": ""])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.hasPrefix("error: the handshake with the coordinator at \(endpoint) failed")
                      || none.stderr.hasPrefix("error: the coordinator at \(endpoint) requires CURVE keys"), none.stderr)
        let half = try CLI.run(nodes + ["--key", dir + "/alice.key"], environment: ["COHORT_SERVER_KEY": ""])
        XCTAssertEqual(half.status, 1)
        XCTAssertTrue(half.stderr.hasPrefix("error: \(dir)/alice.key: a key pair needs the coordinator's public key too"), half.stderr)
    }
}
