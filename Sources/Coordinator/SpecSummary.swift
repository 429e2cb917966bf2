// Implements: SpecSummary, the fields of a job spec the coordinator schedules by (name,
// parallel.ranks and min_ranks, priority, fault.max_restarts, train.global_batch and accumulation
// for the world sizes an elastic restart may use, checkpoint.dir), derived from the one schema,
// JobSpec: a spec the trainer would refuse (an unknown key, a wrong type, YAML past its limits)
// is refused at submit, naming the key, instead of failing at every launch.
import Foundation
import Spec
import Wire
import Yams

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

    /// Longest job name, in bytes (names are shown in tables and logs).
    public static let maxNameBytes = 128

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

    /// Parses `text` with JobSpec's strict schema, then checks what only the coordinator needs.
    /// - Throws: `SpecError` naming the bad key and value.
    public static func parse(_ text: String, source: String = "submitted") throws(SpecError) -> SpecSummary {
        try summary(of: JobSpec.parse(text, source: source), source: source)
    }

    /// - Throws: `SpecError` when the name is not printable text of 1…128 bytes or parallel.ranks
    ///   is missing or outside 1…4096.
    public static func summary(of spec: JobSpec, source: String) throws(SpecError) -> SpecSummary {
        func fail(_ m: String) -> SpecError { SpecError(source: source, message: m) }
        let name = spec.name
        guard !name.isEmpty, name.utf8.count <= maxNameBytes, TerminalText.isPrintable(name) else {
            throw fail("name: must be 1…\(maxNameBytes) bytes of printable text without control characters, got \"\(TerminalText.line(String(name.prefix(200))))\"")
        }
        guard let ranks = spec.parallel?.ranks else { throw fail("parallel.ranks is missing (the coordinator needs it to place the job)") }
        guard (1 ... WireLimits.maxRanks).contains(ranks) else { throw fail("parallel.ranks must be an integer in 1…\(WireLimits.maxRanks), got \(ranks)") }
        let priority = spec.priority ?? 0
        guard WireLimits.priorityRange.contains(priority) else {
            throw fail("priority must be in \(WireLimits.priorityRange.lowerBound)…\(WireLimits.priorityRange.upperBound), got \(priority)")
        }
        let restarts = spec.fault?.max_restarts ?? 0
        guard restarts <= 1000 else { throw fail("fault.max_restarts must be in 0…1000, got \(restarts)") }
        return SpecSummary(name: name, ranks: ranks, priority: priority, maxRestarts: restarts, minRanks: spec.parallel?.min_ranks,
                           globalBatch: spec.train.global_batch, accumulation: max(1, spec.accumulation),
                           checkpointDir: spec.checkpoint?.dir)
    }

    /// The spec with parallel.ranks set to `ranks`, re-encoded from the parsed JobSpec (comments
    /// and layout are not kept; every key and value is).
    /// - Throws: `SpecError` if the text is not a valid spec.
    public static func withRanks(_ text: String, _ ranks: Int, source: String = "spec") throws(SpecError) -> String {
        var spec = try JobSpec.parse(text, source: source)
        guard var p = spec.parallel else { throw SpecError(source: source, message: "parallel.ranks is missing") }
        p.ranks = ranks
        if let m = p.min_ranks, m > ranks { p.min_ranks = ranks }
        spec.parallel = p
        do { return try YAMLEncoder().encode(spec) } catch { throw SpecError(source: source, message: "cannot write the spec back: \(error)") }
    }

    /// The spec with checkpoint.dir set to `dir` (an absolute path, so the coordinator keeps the
    /// checkpoints there rather than in its state directory).
    /// - Throws: `SpecError` if the text is not a valid spec.
    public static func withCheckpointDir(_ text: String, _ dir: String, source: String = "spec") throws(SpecError) -> String {
        var spec = try JobSpec.parse(text, source: source)
        do {
            var c = try spec.checkpoint ?? YAMLDecoder().decode(JobSpec.Checkpointing.self, from: "{}")
            c.dir = dir
            spec.checkpoint = c
            return try YAMLEncoder().encode(spec)
        } catch { throw SpecError(source: source, message: "cannot write the spec back: \(error)") }
    }
}
