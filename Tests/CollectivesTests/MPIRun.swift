// Implements: MPIRun, the test helper that runs one rank-side test method of this bundle in
// real processes under `mpirun -np N` and returns its exit status and output.
// The child processes see COHORT_RANK_SIDE=1; rank-side methods do nothing without it.
import Foundation
import XCTest

enum MPIRun {
    /// Whether this process is a rank started by `MPIRun.run` (else rank-side tests return at once).
    static var isRankSide: Bool { ProcessInfo.processInfo.environment["COHORT_RANK_SIDE"] == "1" }

    /// What an mpirun run did.
    struct Outcome {
        var status: Int32
        var output: String
        var seconds: Double
    }

    /// The test bundle executable (`.build/<config>/CohortPackageTests.xctest` on Linux).
    static var bundleExecutable: String {
        Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    /// Runs `test` ("Class/method") of CollectivesTests in `ranks` processes under mpirun.
    ///
    /// - Parameters:
    ///   - ranks: Number of processes (oversubscribes the 2 cores when above 2).
    ///   - test: The rank-side method, e.g. `RingTests/testRankSideCollectives`.
    ///   - environment: Extra variables for every rank.
    ///   - limit: Seconds after which mpirun is terminated (the test then fails).
    static func run(ranks: Int, test: String, environment: [String: String] = [:], limit: Double = 90,
                    file: StaticString = #filePath, line: UInt = #line) throws -> Outcome {
        let outputURL = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-mpirun-\(UUID().uuidString).log")
        FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: outputURL) }
        let handle = try FileHandle(forWritingTo: outputURL)
        var env = ProcessInfo.processInfo.environment
        env["COHORT_RANK_SIDE"] = "1"
        env["PMIX_MCA_gds"] = "hash"          // silences PMIx "dstore" warnings
        env["OPENBLAS_NUM_THREADS"] = "1"
        for (k, v) in environment { env[k] = v }
        var args = ["--allow-run-as-root", "--oversubscribe", "--mca", "btl", "self,vader", "-np", "\(ranks)"]
        for k in ["COHORT_RANK_SIDE", "PMIX_MCA_gds", "OPENBLAS_NUM_THREADS"] + environment.keys.sorted() { args += ["-x", k] }
        args += [bundleExecutable, "CollectivesTests.\(test)"]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        process.arguments = args
        process.environment = env
        process.standardOutput = handle
        process.standardError = handle
        let start = Date()
        try process.run()
        while process.isRunning && Date().timeIntervalSince(start) < limit { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            XCTFail("mpirun -np \(ranks) \(test) still running after \(limit) s: a hang", file: file, line: line)
        }
        try handle.close()
        let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        return Outcome(status: process.terminationStatus, output: output, seconds: Date().timeIntervalSince(start))
    }

    /// Ends a rank that found a wrong result or an unexpected error: one line, exit status 1.
    static func fail(_ rank: Int, _ message: String) -> Never {
        print("RANK \(rank) FAIL: \(message)")
        fflush(stdout)
        exit(1)
    }
}
