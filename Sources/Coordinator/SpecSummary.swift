// Implements: SpecSummary, the few fields of a job spec the coordinator owns (name,
// parallel.ranks and min_ranks, priority, fault.max_restarts, train.global_batch and accumulation
// for the world sizes an elastic restart may use, checkpoint.dir), read leniently: every other key belongs to the
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
    /// Fewest ranks a restart may run on (parallel.min_ranks; default: ranks, not elastic).
    public var minRanks: Int
    /// train.global_batch, which every world size must split (nil: batch_per_rank, a fixed size).
    public var globalBatch: Int?
    public var accumulation: Int
    /// checkpoint.dir as written (relative paths are placed in the job's state directory).
    public var checkpointDir: String?

    public init(name: String, ranks: Int, priority: Int, maxRestarts: Int, minRanks: Int? = nil, globalBatch: Int? = nil,
                accumulation: Int = 1, checkpointDir: String? = nil) {
        self.name = name; self.ranks = ranks; self.priority = priority; self.maxRestarts = maxRestarts
        self.minRanks = minRanks ?? ranks; self.globalBatch = globalBatch; self.accumulation = accumulation
        self.checkpointDir = checkpointDir
    }

    /// World sizes a restart may use, largest first: ranks down to min_ranks, those that split the
    /// global batch evenly into micro-batches. Just [ranks] for a job that is not elastic.
    public var restartSizes: [Int] {
        guard let g = globalBatch, minRanks < ranks else { return [ranks] }
        return stride(from: ranks, through: minRanks, by: -1).filter { g % $0 == 0 && (g / $0) % accumulation == 0 }
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
        var minRanks: Int?
        if let m = parallel["min_ranks"] {
            guard let mi = m as? Int, mi >= 1, mi <= ranks else { throw JobSpecError(message: "job spec \(name): parallel.min_ranks must be an integer in 1…\(ranks), got \(m)") }
            minRanks = mi
        }
        let train = map["train"] as? [String: Any]
        let global = train?["global_batch"] as? Int, accumulation = train?["accumulation"] as? Int ?? 1
        if let m = minRanks, m < ranks, global == nil {
            throw JobSpecError(message: "job spec \(name): parallel.min_ranks \(m) below parallel.ranks \(ranks) makes the job elastic, which needs train.global_batch (not batch_per_rank) so a restart on fewer ranks keeps the batch")
        }
        let dir = (map["checkpoint"] as? [String: Any])?["dir"] as? String
        return SpecSummary(name: name, ranks: ranks, priority: priority, maxRestarts: restarts, minRanks: minRanks,
                           globalBatch: global.flatMap { $0 > 0 ? $0 : nil }, accumulation: max(1, accumulation), checkpointDir: dir)
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
