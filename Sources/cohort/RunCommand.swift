// Implements: `cohort run -n N SPEC.yaml`: N local ranks of a job without typing mpirun. It
// starts mpirun with the BLAS environment already chosen (so no rank re-executes), one BLAS
// thread per rank, ranks bound to cores when there are enough, and forwards the job's outcome.
import ArgumentParser
import Foundation
import Tensor

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run a job on N local ranks.")

    @Option(name: .shortAndLong, help: "Number of ranks (processes).") var n: Int = 2
    @Argument(help: "Job spec (YAML), e.g. cluster/jobs/fashion-mlp.yaml.") var spec: String
    @Flag(help: "Allow more ranks than cores.") var oversubscribe = false
    @Option(help: "Directory of the Fashion-MNIST IDX files.") var data: String?
    @Option(help: "Write metrics as JSON lines to this file.") var metrics: String?
    @Option(help: "Override train.epochs.") var epochs: Int?
    @Option(help: "Override train.max_steps.") var maxSteps: Int?

    func validate() throws {
        guard n >= 1 else { throw ValidationError("-n must be at least 1, got \(n)") }
    }

    func run() throws {
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if n > cores && !oversubscribe {
            throw LaunchError("\(n) ranks exceed the \(cores) cores of this machine; pass --oversubscribe to run them anyway")
        }
        guard FileManager.default.fileExists(atPath: spec) else { throw LaunchError("job spec not found: \(spec)") }
        var trainArgs = ["train", spec]
        if let data { trainArgs += ["--data", data] }
        if let metrics { trainArgs += ["--metrics", metrics] }
        if let epochs { trainArgs += ["--epochs", "\(epochs)"] }
        if let maxSteps { trainArgs += ["--max-steps", "\(maxSteps)"] }
        if isatty(2) != 0 { trainArgs.append("--bar") }
        let status = try MPILauncher.run(ranks: n, oversubscribe: n > cores, program: selfPath(),
                                         arguments: trainArgs)
        if status != 0 { throw ExitCode(status) }
    }
}

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
                        environment: [String: String]) -> [String] {
        var cmd = ["mpirun"]
        if getuid() == 0 { cmd.append("--allow-run-as-root") }
        cmd += ["-np", "\(ranks)"]
        cmd += oversubscribe ? ["--oversubscribe", "--bind-to", "none"] : ["--bind-to", "core"]
        for v in forwarded where environment[v] != nil { cmd += ["-x", v] }
        return cmd + [program] + arguments
    }

    /// Runs mpirun to completion and returns its exit status.
    static func run(ranks: Int, oversubscribe: Bool, program: String, arguments: [String], quiet: Bool = false) throws -> Int32 {
        var env = BLASCore.environment(adding: ProcessInfo.processInfo.environment)
        if env["PMIX_MCA_gds"] == nil { env["PMIX_MCA_gds"] = "hash" }  // PMIx's shared-memory store only prints noise here
        let cmd = command(ranks: ranks, oversubscribe: oversubscribe, program: program, arguments: arguments, environment: env)
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
