// Implements: AttemptOutcome, how one attempt (one mpirun launch) of a job ended, as `status`'s
// history and the store record it.

public enum AttemptOutcome: String, Codable, Sendable, CaseIterable {
    /// mpirun exited 0 and nothing faulted.
    case succeeded
    /// A fault (mpirun non-zero, a lost node, a silent rank): counts against fault.max_restarts.
    case failed
    /// Ended to restart at a larger world size after a checkpoint (not a fault).
    case resized
    case cancelled
    /// Gone without an exit status (its wrapper vanished), or never launched before a coordinator crash.
    case lost
    /// mpirun could not be started.
    case launchFailed = "launch-failed"
    /// A rank refused its configuration (exit status `LaunchContract.configErrorExitStatus`): the
    /// job fails at once, since a restart would meet the same spec and data.
    case configError = "config-error"
}
