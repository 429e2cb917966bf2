// Implements: KillSignal, what a `kill` asks an agent to do to a job's local ranks.

public enum KillSignal: String, Codable, Sendable {
    /// SIGTERM, then SIGKILL after `grace_ms` (a cancel: ranks may flush their logs).
    case term = "TERM"
    /// SIGKILL at once, which also ends a stopped process (a fault or a resize).
    case kill = "KILL"
}
