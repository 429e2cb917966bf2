// Implements: KillSignal, what a `kill` asks an agent to do to a job's local ranks, and Kill, the
// typed value of the `kill` push.
import Foundation

public enum KillSignal: String, Codable, Sendable {
    /// SIGTERM, then SIGKILL after `grace_ms` (a cancel: ranks may flush their logs).
    case term = "TERM"
    /// SIGKILL at once, which also ends a stopped process (a fault or a resize).
    case kill = "KILL"
}

/// The `kill` push to an agent: end `job`'s ranks on its node (`ranks`, or all when empty).
public struct Kill: Sendable, Equatable {
    public var job: String
    public var ranks: [Int]
    public var signal: KillSignal
    /// TERM: milliseconds between SIGTERM and SIGKILL; nil: the agent's default.
    public var graceMs: Int?

    public init(job: String, ranks: [Int], signal: KillSignal, graceMs: Int?) {
        self.job = job; self.ranks = ranks; self.signal = signal; self.graceMs = graceMs
    }

    /// - Throws: the `bad-request` reply naming a missing field.
    public init(_ m: Message) throws(Message) {
        guard let job = m.job else { throw Message.error(to: m.id, .badRequest, "kill needs the field \"job\"") }
        guard let signal = m.signal else { throw Message.error(to: m.id, .badRequest, "kill needs the field \"signal\"") }
        self.init(job: job, ranks: m.ranks ?? [], signal: signal, graceMs: m.graceMs)
    }

    /// The wire form.
    public var message: Message {
        var m = Message(.kill)
        m.job = job; m.ranks = ranks; m.signal = signal; m.graceMs = graceMs
        return m
    }
}
