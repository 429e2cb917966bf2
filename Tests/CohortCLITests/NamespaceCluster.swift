// Tests helper: the cluster of launch/test-cluster.sh (network-namespace nodes, CURVE keys, a
// coordinator on the bridge, an agent per node) driven from a test, torn down in `down()` (called
// from a defer, so a failed test leaves nothing behind).
import Foundation
import XCTest

final class NamespaceCluster {
    let name: String
    let script = CLI.root + "/launch/test-cluster.sh"
    /// The cluster's directory (keys, config, state, logs).
    private(set) var dir = ""

    /// Skips the test where namespaces cannot be made (not root, no iproute2, no data set).
    static func available() throws {
        let haveIP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        try XCTSkipUnless(getuid() == 0 && haveIP && CLI.haveData, "needs root, iproute2 and the data set")
    }

    /// Starts K nodes with `slots` each; `name` must be unique to the run (it names the namespaces).
    init(name: String, nodes k: Int, slots: Int = 1) throws {
        self.name = name
        _ = try? sh(["down", name])  // leftovers of an interrupted run
        let up = try sh(["up", name, "\(k)", "\(slots)"])
        guard up.status == 0 else {
            _ = try? sh(["down", name])
            throw TestFailure("test-cluster.sh up failed: \(up.stderr)")
        }
        dir = try sh(["dir", name]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func sh(_ args: [String]) throws -> CLIResult {
        try CLI.exec("/usr/bin/env", ["bash", script] + args, environment: ["COHORT": CLI.binary, "PMIX_MCA_gds": "hash"])
    }


    func cohort(_ args: [String]) throws -> CLIResult { try sh(["cohort", name] + args) }

    @discardableResult
    func fault(_ args: [String]) throws -> CLIResult {
        let r = try sh(["fault", name] + args)
        XCTAssertEqual(r.status, 0, "fault \(args): \(r.stderr)")
        return r
    }

    func down() { _ = try? sh(["down", name]) }
}

/// The job queries both clusters answer (through `cohort(_:)`).
protocol JobQueries: AnyObject {
    /// Where job files are written.
    var dir: String { get }
    func cohort(_ args: [String]) throws -> CLIResult
}

extension JobQueries {
    /// The tail of the coordinator's log (shown when a wait times out).
    func logs() -> String {
        let c = (try? String(contentsOfFile: dir + "/coordinator.log", encoding: .utf8)) ?? ""
        return "coordinator log:\n" + c.split(separator: "\n").suffix(30).joined(separator: "\n")
    }

    /// mpirun's log of each attempt of `job` that ended with a non-zero exit code.
    func failedAttemptLogs(_ job: String) -> String {
        let base = "\(dir)/state/jobs/\(job)"
        let attempts = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).filter { $0.hasPrefix("attempt-") }.sorted()
        return attempts.compactMap { a -> String? in
            let code = (try? String(contentsOfFile: "\(base)/\(a)/exit_code", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            guard let code, code != "0" else { return nil }
            let log = (try? String(contentsOfFile: "\(base)/\(a)/mpirun.log", encoding: .utf8)) ?? "(no mpirun.log)"
            return "\(a) exit \(code):\n" + log.split(separator: "\n").suffix(25).joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// The job's checkpoint directory (inside the coordinator's state).
    func checkpoints(_ job: String) -> String { "\(dir)/state/jobs/\(job)/checkpoints" }

    func json(_ args: [String]) throws -> Any {
        let r = try cohort(args + ["--json"])
        guard r.status == 0 else { throw TestFailure("cohort \(args) failed (exit \(r.status)): \(r.stderr)") }
        return try JSONSerialization.jsonObject(with: Data(r.stdout.utf8))
    }

    /// Writes spec text into `dir` and submits it; returns the job id.
    func submit(_ spec: String) throws -> String {
        let path = dir + "/job-\(UUID().uuidString).yaml"
        try spec.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try cohort(["submit", path, "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return (try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])?["id"] as? String ?? ""
    }

    func status(_ job: String) throws -> [String: Any] { (try json(["status", job]) as? [String: Any]) ?? [:] }
    func state(_ job: String) throws -> String { try status(job)["state"] as? String ?? "" }
    func step(_ job: String) throws -> Int { ((try status(job)["progress"] as? [String: Any])?["step"] as? Int) ?? 0 }
    func history(_ job: String) throws -> [[String: Any]] { try status(job)["history"] as? [[String: Any]] ?? [] }

    /// Polls `check` every 20 ms; fails the test after `seconds` (scaled for a debug build, whose
    /// ranks train several times slower than release).
    func waitUntil(seconds: Double, _ what: String, _ check: () throws -> Bool) throws {
        let seconds = seconds * CLI.deadlineScale
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try check() { return }
            usleep(20_000)
        }
        throw TestFailure("timed out after \(seconds) s waiting for: \(what)\n\(logs())")
    }
}

extension NamespaceCluster: JobQueries {}
extension LocalCluster: JobQueries {}
