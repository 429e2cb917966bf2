// The launch scripts refuse bad input with one clear line before starting anything, and run the
// mpirun line MPIRunCommand builds (`cohort mpirun-line`), forwarding every collective setting.
import Foundation
import XCTest

final class LaunchScriptTests: XCTestCase {
    /// Runs a launch script with the cohort this bundle was built with (the scripts default to the release
    /// binary, which a debug-only tree lacks).
    func script(_ name: String, _ args: [String]) throws -> CLIResult {
        try CLI.exec("/bin/bash", [CLI.root + "/launch/" + name] + args, environment: ["COHORT": CLI.binary])
    }

    func testHostfileWithAnUnknownHostOrTooFewSlots() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hosts = dir + "/hosts"
        try "127.0.0.1 slots=1\nno-such-host.invalid slots=2\n".write(toFile: hosts, atomically: true, encoding: .utf8)
        let unknown = try script("mpirun-hostfile.sh", [hosts, "2", "cluster/jobs/fashion-mlp.yaml"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.stderr, "error: hostfile \(hosts) names an unknown host 'no-such-host.invalid'\n")
        try "# one node\n127.0.0.1 slots=2\n".write(toFile: hosts, atomically: true, encoding: .utf8)
        let few = try script("mpirun-hostfile.sh", [hosts, "3", CLI.root + "/cluster/jobs/fashion-mlp.yaml"])
        XCTAssertEqual(few.stderr, "error: 3 ranks asked, but \(hosts) offers only 2 slots\n")
        let zero = try script("local.sh", ["0", CLI.root + "/cluster/jobs/fashion-mlp.yaml"])
        XCTAssertEqual(zero.status, 64)
        XCTAssertEqual(zero.stderr, "error: rank count must be a positive integer, got '0'\n")
        let slurm = try script("slurm.sbatch", [CLI.root + "/cluster/jobs/fashion-mlp.yaml"])
        XCTAssertEqual(slurm.stderr, "error: not inside a SLURM allocation (SLURM_NTASKS unset); use launch/local.sh\n")
    }

    /// The arguments `cohort mpirun-line args…` prints (NUL-terminated).
    func builderLine(_ args: [String], environment: [String: String]) throws -> [String] {
        let r = try CLI.run(["mpirun-line"] + args, environment: environment.merging(["COHORT_BLAS_READY": "1"]) { a, _ in a })
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    func dryRun(_ name: String, _ args: [String], environment: [String: String]) throws -> [String] {
        let r = try CLI.exec("/bin/bash", [CLI.root + "/launch/" + name] + args, environment: environment.merging(["DRY_RUN": "1"]) { a, _ in a })
        XCTAssertEqual(r.status, 0, "\(name): \(r.stderr)")
        return r.stdout.split(separator: "\n").map(String.init)
    }

    func testScriptsRunTheLineMPIRunCommandBuilds() throws {
        let spec = CLI.root + "/cluster/jobs/fashion-mlp.yaml", cohort = CLI.binary
        let env = ["COHORT": cohort, "COHORT_RING_SLICE_BYTES": "65536", "COHORT_SOCKET_RING": "1", "OVERSUBSCRIBE": "1",
                   "PMIX_MCA_gds": "hash", "OPENBLAS_NUM_THREADS": "1", "MPIRUN_ARGS": "--mca routed direct"]
        let train = [cohort, "train", spec, "--steps", "2"]
        let cores = ProcessInfo.processInfo.activeProcessorCount
        // More ranks than cores: oversubscribed and unbound; one rank: bound to a core.
        let many = try dryRun("local.sh", ["\(cores + 1)", spec, "--steps", "2"], environment: env)
        XCTAssertEqual(many, try builderLine(["--ranks", "\(cores + 1)", "--oversubscribe", "--bind", "none", "--"] + train, environment: env))
        let one = try dryRun("local.sh", ["1", spec, "--steps", "2"], environment: env)
        XCTAssertEqual(one, try builderLine(["--ranks", "1", "--bind", "core", "--"] + train, environment: env))
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try "127.0.0.1 slots=3\n".write(toFile: dir + "/hosts", atomically: true, encoding: .utf8)
        let hosts = try dryRun("mpirun-hostfile.sh", [dir + "/hosts", "3", spec, "--steps", "2"], environment: env)
        XCTAssertEqual(hosts, try builderLine(["--ranks", "3", "--hostfile", dir + "/hosts", "--"] + train, environment: env))
        let slurm = try dryRun("slurm.sbatch", [spec, "--steps", "2"], environment: env.merging(["SLURM_NTASKS": "2"]) { a, _ in a })
        XCTAssertEqual(slurm, try builderLine(["--ranks", "2", "--bind", "core", "--"] + train, environment: env))
        // The builder's line itself: the options in MPIRunCommand's order, every set collective variable forwarded.
        let root = getuid() == 0 ? ["--allow-run-as-root"] : []
        XCTAssertEqual(Array(hosts.prefix(root.count + 5)), ["mpirun"] + root + ["--hostfile", dir + "/hosts", "-np", "3"])
        for name in ["COHORT_RING_SLICE_BYTES", "COHORT_SOCKET_RING", "PMIX_MCA_gds", "OPENBLAS_NUM_THREADS"] {
            for line in [many, one, hosts, slurm] {
                XCTAssertTrue(zip(line, line.dropFirst()).contains { $0 == "-x" && $1 == name }, "\(name) not forwarded: \(line)")
            }
        }
        XCTAssertFalse(many.contains("COHORT_SPIN_US"), "a variable that is not set is not forwarded")
        // cohort's own BLAS choice is not forwarded: each rank makes its own.
        XCTAssertFalse(many.contains("COHORT_BLAS_READY"), "\(many)")
        if ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil { XCTAssertFalse(many.contains("OPENBLAS_CORETYPE"), "\(many)") }
        XCTAssertEqual(Array(hosts.suffix(train.count + 3)), ["--mca", "routed", "direct"] + train, "MPIRUN_ARGS, then the program")
    }

    /// Collectives' settings and the launch contract's list of them (which the coordinator's
    /// Launcher forwards; the control plane does not import Collectives) are the same names.
    func testLaunchContractNamesEveryCollectiveSetting() throws {
        let r = try CLI.run(["mpirun-line", "--collective-variables"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lists = try JSONDecoder().decode([String: [String]].self, from: Data(r.stdout.utf8))
        XCTAssertEqual(lists["collectives"], lists["launch_contract"])
        XCTAssertTrue(lists["collectives"]?.contains("COHORT_SOCKET_RING") == true)
    }
}
