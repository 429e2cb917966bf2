// Runs the built `cohort` binary as a user would, capturing exit code, stdout and stderr.
import Foundation
import XCTest

/// A test's own failure, thrown where the test cannot go on: XCTest records a thrown error as a
/// failure (never as a skip, which only a missing prerequisite may cause).
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct CLIResult {
    let status: Int32
    let stdout: String
    let stderr: String
    /// The process's pid (what a command names its own resources after, e.g. cb<pid>-n1).
    var pid: pid_t = 0
}

enum CLI {
    /// The package root, from this file's path.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// .build/<config>/cohort, the configuration this test bundle was built in first.
    static var binary: String {
        let bundleDir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().path
        for candidate in [bundleDir + "/cohort", root + "/.build/release/cohort", root + "/.build/debug/cohort"]
        where FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        return root + "/.build/release/cohort"
    }

    /// How much longer than release a wait on training may take: debug ranks run with bounds checks
    /// and without the optimiser, several times slower.
    static var deadlineScale: Double { binary.contains("/debug/") ? 4 : 1 }

    /// Runs `executable args…` to completion with `environment` added to this process's.
    static func exec(_ executable: String, _ args: [String], environment: [String: String] = [:], cwd: String? = nil) throws -> CLIResult {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: cwd ?? root)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return CLIResult(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self),
                         pid: p.processIdentifier)
    }

    /// Runs `cohort args…` to completion.
    static func run(_ args: [String], environment: [String: String] = [:], cwd: String? = nil) throws -> CLIResult {
        try exec(binary, args, environment: environment, cwd: cwd)
    }

    /// A new temporary directory, removed by the caller.
    static func tempDir() -> String {
        let d = NSTemporaryDirectory() + "cohort-cli-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }
}

extension CLI {
    /// Runs `mpirun -np ranks cohort args…` on this machine (oversubscribed, loopback only).
    static func mpirun(_ ranks: Int, _ args: [String], environment: [String: String] = [:]) throws -> CLIResult {
        try exec("/usr/bin/env", ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)",
                                  "--mca", "btl", "self,vader", "-x", "PMIX_MCA_gds", binary] + args,
                 environment: environment.merging(["PMIX_MCA_gds": "hash"]) { mine, _ in mine })
    }

    /// The float32 values of a file written by `cohort train --dump-params`.
    static func floats(_ path: String) throws -> [Float] {
        let d = try Data(contentsOf: URL(fileURLWithPath: path))
        return d.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
    }

    /// Starts `cohort args…` (`executable`) in the background, its stdout and stderr in the file `log`.
    static func spawn(_ args: [String], log: String, executable: String = binary) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = args
        FileManager.default.createFile(atPath: log, contents: nil)
        let fh = FileHandle(forWritingAtPath: log)
        p.standardOutput = fh
        p.standardError = fh
        try p.run()
        return p
    }

    static var haveData: Bool { FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz") }
}

extension CLI {
    /// Pids of `cohort` processes whose command line contains `text`.
    static func pids(matching text: String) throws -> [pid_t] {
        var found: [pid_t] = []
        for entry in try FileManager.default.contentsOfDirectory(atPath: "/proc") {
            guard let pid = pid_t(entry), let cmd = FileManager.default.contents(atPath: "/proc/\(entry)/cmdline") else { continue }
            let args = cmd.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if args.first?.hasSuffix("cohort") == true && args.contains(where: { $0.contains(text) }) { found.append(pid) }
        }
        return found
    }
}

extension CLI {
    /// Network namespaces still there of the `cohort bench … --nodes` run `bench` (it names its
    /// nodes cb<pid mod 100000>-n<i>; another test's bench may be running beside it).
    static func benchNamespacesLeft(_ bench: CLIResult) throws -> [String] {
        let mine = "cb\(bench.pid % 100_000)-n"
        return try exec("/usr/bin/env", ["ip", "netns", "list"]).stdout.split(separator: "\n")
            .map { String($0.split(separator: " ").first ?? "") }.filter { $0.hasPrefix(mine) }
    }
}
