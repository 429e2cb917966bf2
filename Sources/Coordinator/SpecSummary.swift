// Implements: SpecSummary, the few fields of a job spec the coordinator owns (name,
// parallel.ranks, priority, fault.max_restarts), read leniently: every other key belongs to the
// trainer, which validates it. A missing or invalid ranks is refused here.
import Foundation
import Yams

public struct JobSpecError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public struct SpecSummary: Sendable, Equatable {
    public var name: String
    public var ranks: Int
    public var priority: Int
    public var maxRestarts: Int

    public init(name: String, ranks: Int, priority: Int, maxRestarts: Int) {
        self.name = name; self.ranks = ranks; self.priority = priority; self.maxRestarts = maxRestarts
    }

    /// - Throws: `SpecError` naming the bad key and value.
    public static func parse(_ text: String) throws -> SpecSummary {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw JobSpecError(message: "job spec is not valid YAML: \(error)") }
        guard let map = root as? [String: Any] else { throw JobSpecError(message: "job spec must be a mapping of keys") }
        guard let name = map["name"] as? String, !name.isEmpty else {
            throw JobSpecError(message: "job spec: name is missing or not a string (got \(map["name"].map { "\($0)" } ?? "nothing"))")
        }
        guard let parallel = map["parallel"] as? [String: Any], let rv = parallel["ranks"] else {
            throw JobSpecError(message: "job spec \(name): parallel.ranks is missing")
        }
        guard let ranks = rv as? Int, ranks >= 1, ranks <= 4096 else {
            throw JobSpecError(message: "job spec \(name): parallel.ranks must be an integer in 1…4096, got \(rv)")
        }
        var priority = 0
        if let p = map["priority"] {
            guard let pi = p as? Int else { throw JobSpecError(message: "job spec \(name): priority must be an integer, got \(p)") }
            priority = pi
        }
        var restarts = 0
        if let fault = map["fault"] as? [String: Any], let m = fault["max_restarts"] {
            guard let mi = m as? Int, mi >= 0 else { throw JobSpecError(message: "job spec \(name): fault.max_restarts must be an integer ≥ 0, got \(m)") }
            restarts = mi
        }
        return SpecSummary(name: name, ranks: ranks, priority: priority, maxRestarts: restarts)
    }

    /// The spec text with parallel.ranks set to `ranks` (appended as an override mapping when the
    /// spec writes `parallel:` as a flow mapping, the form cluster/jobs/ uses).
    public static func withRanks(_ text: String, _ ranks: Int) -> String {
        guard let r = text.range(of: #"(?m)^parallel:\s*\{[^}]*\}"#, options: .regularExpression) else { return text }
        var block = String(text[r])
        if let k = block.range(of: #"(?<![_A-Za-z])ranks:\s*\d+"#, options: .regularExpression) {
            block.replaceSubrange(k, with: "ranks: \(ranks)")
        }
        return text.replacingCharacters(in: r, with: block)
    }
}
