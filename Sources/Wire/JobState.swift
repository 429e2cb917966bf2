// Implements: JobState, the life cycle of a job: PENDING → SCHEDULED → RUNNING →
// SUCCEEDED | FAILED | CANCELLED, with RUNNING → RESTARTING → RUNNING on a fault.

public enum JobState: String, Codable, Sendable, CaseIterable {
    case pending = "PENDING", scheduled = "SCHEDULED", running = "RUNNING", restarting = "RESTARTING"
    case succeeded = "SUCCEEDED", failed = "FAILED", cancelled = "CANCELLED"

    /// Terminal states are final: no transition leaves them.
    public var isTerminal: Bool { self == .succeeded || self == .failed || self == .cancelled }

    /// Whether the state machine allows `self → next`.
    public func canMove(to next: JobState) -> Bool {
        switch (self, next) {
        case (.pending, .scheduled), (.pending, .cancelled): return true
        case (.scheduled, .running), (.scheduled, .pending), (.scheduled, .failed), (.scheduled, .cancelled): return true
        case (.running, .succeeded), (.running, .failed), (.running, .cancelled), (.running, .restarting): return true
        case (.restarting, .running), (.restarting, .failed), (.restarting, .cancelled): return true
        default: return false
        }
    }
}
