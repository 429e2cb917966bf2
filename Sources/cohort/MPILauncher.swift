// Implements: MPILauncher, starting `mpirun` on this node for `cohort` ranks directly (the
// benchmarks use it; jobs go through the coordinator's Launcher).
import Foundation
import Tensor

/// A launch that cannot start.
struct LaunchError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// This executable's path.
func selfPath() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}

/// Starts `mpirun` on this node for `cohort` ranks.
enum MPILauncher {
    /// Variables every rank needs, passed by mpirun's -x.
    static let forwarded = ["OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", BLASCore.readyVariable, "PMIX_MCA_gds",
                            "COHORT_CHECK_COLLECTIVES", "COHORT_COLLECTIVE_TIMEOUT"]

    /// The mpirun command line for `ranks` local ranks of `program arguments…`.
    static func command(ranks: Int, oversubscribe: Bool, program: String, arguments: [String],
                        environment: [String: String], nodes: NamespaceNodes? = nil) -> [String] {
        var cmd = ["mpirun"]
        if getuid() == 0 { cmd.append("--allow-run-as-root") }
        cmd += ["-np", "\(ranks)"]
        if let nodes { cmd += nodes.mpirunArguments } else {
            cmd += oversubscribe ? ["--oversubscribe", "--bind-to", "none"] : ["--bind-to", "core"]
        }
        for v in forwarded where environment[v] != nil { cmd += ["-x", v] }
        return cmd + [program] + arguments
    }

    /// Runs mpirun to completion and returns its exit status.
    static func run(ranks: Int, oversubscribe: Bool, program: String, arguments: [String], quiet: Bool = false,
                    nodes: NamespaceNodes? = nil, environment extra: [String: String] = [:]) throws -> Int32 {
        var env = BLASCore.environment(adding: ProcessInfo.processInfo.environment)
        if env["PMIX_MCA_gds"] == nil { env["PMIX_MCA_gds"] = "hash" }  // PMIx's shared-memory store only prints noise here
        for (k, v) in extra { env[k] = v }
        var cmd = command(ranks: ranks, oversubscribe: oversubscribe, program: program, arguments: arguments, environment: env, nodes: nodes)
        for k in extra.keys.sorted() { cmd.insert(contentsOf: ["-x", k], at: 1) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = cmd
        p.environment = env
        if quiet { p.standardOutput = FileHandle.nullDevice }
        do { try p.run() } catch { throw LaunchError("cannot start mpirun: \(error) (install openmpi-bin)") }
        p.waitUntilExit()
        return p.terminationStatus
    }
}
