// Implements: MPILauncher, starting `mpirun` on this node for `cohort` ranks directly (the
// benchmarks use it; jobs go through the coordinator's Launcher).
import Collectives
import Foundation
import Tensor
import Wire

/// A launch that cannot start (Wire's, shared with the coordinator's Launcher).
typealias LaunchError = Wire.LaunchError

/// Starts `mpirun` on this node for `cohort` ranks.
enum MPILauncher {
    /// Variables every rank needs, passed by mpirun's -x: BLAS, PMIx, and every collective
    /// setting (ranks stop at start when those differ).
    static let forwarded = ["OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", BLASCore.readyVariable, "PMIX_MCA_gds"]
        + CollectiveSettings.environmentNames

    /// The mpirun command line for `ranks` local ranks of `program arguments…`.
    static func command(ranks: Int, oversubscribe: Bool, program: String, arguments: [String],
                        environment: [String: String], nodes: NamespaceNodes? = nil) -> [String] {
        var cmd = MPIRunCommand(ranks: ranks, program: program, arguments: arguments)
        if let nodes { nodes.configure(&cmd) } else {
            cmd.oversubscribe = oversubscribe
            cmd.binding = oversubscribe ? MPIRunCommand.Binding.none : .core
        }
        cmd.exports = forwarded.filter { environment[$0] != nil }
        return cmd.argv
    }

    /// Runs mpirun to completion and returns its exit status.
    static func run(ranks: Int, oversubscribe: Bool, program: String, arguments: [String], quiet: Bool = false,
                    nodes: NamespaceNodes? = nil) throws -> Int32 {
        var env = BLASCore.environment(adding: ProcessInfo.processInfo.environment)
        if env["PMIX_MCA_gds"] == nil { env["PMIX_MCA_gds"] = "hash" }  // PMIx's shared-memory store only prints noise here
        let cmd = command(ranks: ranks, oversubscribe: oversubscribe, program: program, arguments: arguments, environment: env, nodes: nodes)
        // On namespace nodes (one machine: one /tmp, one host name) a daemon now and then fails to
        // make its session directory ("mkdir … File exists", mpirun exits 213) before any rank
        // has started; nothing ran, so the launch is tried again (twice at most).
        for attempt in 1 ... 3 {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = cmd
            p.environment = env
            if quiet { p.standardOutput = FileHandle.nullDevice }
            do { try p.run() } catch { throw LaunchError("cannot start mpirun: \(error) (install openmpi-bin)") }
            p.waitUntilExit()
            guard nodes != nil, p.terminationStatus == Self.daemonStartFailure, attempt < 3 else { return p.terminationStatus }
            FileHandle.standardError.write(Data("note: mpirun's daemons did not start on the namespace nodes (exit 213); launching again\n".utf8))
        }
        return Self.daemonStartFailure
    }

    /// mpirun's exit status when its daemons fail in orte_init, before any rank starts.
    static let daemonStartFailure: Int32 = 213
}
