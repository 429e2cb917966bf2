// Implements: MPIRun, the test helper that runs a test of this bundle in real processes under
// `mpirun -np N`. A test that needs ranks calls `MPIRun.run` with its own name; in the started
// processes (COHORT_RANK_SIDE=1) the same test method runs its rank-side function instead, which
// is a plain static function, not a test: in the parent run the method is a real test that fails
// unless every rank succeeded.
import Foundation

public enum MPIRun {
    /// Whether this process is a rank started by `MPIRun.run`.
    public static var isRankSide: Bool { ProcessInfo.processInfo.environment["COHORT_RANK_SIDE"] == "1" }

    /// What an mpirun run did.
    public struct Outcome {
        public var status: Int32
        public var output: String
        public var seconds: Double
        /// mpirun was still running at the limit and was terminated (a hang).
        public var timedOut: Bool
    }

    /// The test bundle executable (`.build/<config>/CohortPackageTests.xctest` on Linux).
    public static var bundleExecutable: String { Bundle.main.executablePath ?? CommandLine.arguments[0] }

    /// The XCTest name of a test method: "Module.Class/method" from `#function`'s "method()".
    public static func testName(module: String, type: Any.Type, function: String) -> String {
        "\(module).\(String(describing: type))/\(function.hasSuffix("()") ? String(function.dropLast(2)) : function)"
    }

    /// Runs the test `test` ("Module.Class/method") in `ranks` processes under mpirun.
    ///
    /// - Parameters:
    ///   - ranks: Number of processes (oversubscribes the 2 cores when above 2).
    ///   - environment: Extra variables for every rank.
    ///   - limit: Seconds after which mpirun is terminated (`timedOut`).
    public static func run(ranks: Int, test: String, environment: [String: String] = [:], limit: Double = 90) throws -> Outcome {
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
        args += [bundleExecutable, test]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mpirun")
        process.arguments = args
        process.environment = env
        process.standardOutput = handle
        process.standardError = handle
        let start = Date()
        try process.run()
        while process.isRunning && Date().timeIntervalSince(start) < limit { usleep(20_000) }
        let timedOut = process.isRunning
        if timedOut {
            process.terminate()
            process.waitUntilExit()
        }
        try handle.close()
        let output = (try? String(contentsOf: outputURL, encoding: .utf8)) ?? ""
        return Outcome(status: process.terminationStatus, output: output, seconds: Date().timeIntervalSince(start), timedOut: timedOut)
    }

    /// In a rank (`isRankSide`): runs `side` and returns nil. Otherwise runs this very test
    /// (`function` of `type` in `module`) in `ranks` processes and returns what they did.
    public static func onRanks(_ ranks: Int, module: String, type: Any.Type, function: String,
                               environment: [String: String] = [:], limit: Double = 90,
                               side: () throws -> Void) throws -> Outcome? {
        if isRankSide { try side(); return nil }
        return try run(ranks: ranks, test: testName(module: module, type: type, function: function),
                       environment: environment, limit: limit)
    }

    /// Ends a rank that found a wrong result or an unexpected error: one line, exit status 1.
    public static func fail(_ rank: Int, _ message: String) -> Never {
        print("RANK \(rank) FAIL: \(message)")
        fflush(stdout)
        exit(1)
    }
}
