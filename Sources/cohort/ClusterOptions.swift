// Implements: ClusterOptions, the options every job command shares (--coordinator, --timeout-ms,
// --json, and CURVE's --key and --server-key), declared once and pulled in with @OptionGroup.
import ArgumentParser
import Coordinator
import Wire

struct ClusterOptions: ParsableArguments {
    @Option(help: "Coordinator endpoint.") var coordinator = WireProtocol.defaultEndpoint
    @Option(name: .customLong("timeout-ms"), help: "Give up on a request after this many milliseconds (exit 3).")
    var timeoutMs = WireProtocol.defaultTimeoutMs
    @Flag(help: "Print JSON for scripts instead of tables.") var json = false
    @OptionGroup var curve: CurveOptions

    func validate() throws {
        guard timeoutMs > 0 else { throw ValidationError("--timeout-ms must be positive, got \(timeoutMs)") }
        guard coordinator.hasPrefix("tcp://") || coordinator.hasPrefix("ipc://") else {
            throw ValidationError("--coordinator must be a ZeroMQ endpoint like tcp://127.0.0.1:5555, got \(coordinator)")
        }
    }

    var client: CoordinatorClient { get throws { CoordinatorClient(endpoint: coordinator, timeoutMs: timeoutMs, curve: try curve.load()) } }
}

/// A finished job's outcome as the process exit code: 0 succeeded, 2 failed or cancelled.
func outcomeExitCode(_ job: JobInfo) -> ExitCode { job.state == .succeeded ? .success : ExitCode(2) }
