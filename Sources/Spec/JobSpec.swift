// Implements: JobSpec, the YAML job description (cluster/jobs/*.yaml), decoded strictly: an
// unknown key, a wrong type or an out-of-range value is an error naming the key path.
import Foundation
import Yams

public struct JobSpec: Codable, Sendable, Equatable {
    public struct Model: Codable, Sendable, Equatable {
        /// "mlp" or "cnn".
        public var kind: String
        /// MLP hidden widths.
        public var hidden: [Int]?
        /// CNN channel counts of its two conv layers.
        public var channels: [Int]?
    }
    public struct DataSource: Codable, Sendable, Equatable {
        /// "fashion-mnist".
        public var kind: String
        /// Directory of the IDX files; default: where Debian's package installs them.
        public var path: String?
        /// Drop the epoch's last incomplete global batch instead of wrapping around.
        public var drop_last: Bool?
    }
    public struct Training: Codable, Sendable, Equatable {
        public var epochs: Int
        /// Samples per rank per step. Give this or `global_batch`.
        public var batch_per_rank: Int?
        /// Samples per step over all ranks, split evenly over however many ranks run: what an elastic
        /// job (parallel.min_ranks below parallel.ranks) gives, so that a restart on fewer ranks takes
        /// the same optimizer steps on the same samples.
        public var global_batch: Int?
        /// "sgd", "adam" or "adamw".
        public var optimizer: String
        public var lr: Double
        public var seed: Int?
        public var momentum: Double?
        public var weight_decay: Double?
        /// Micro-batches per optimizer step (gradient accumulation); must divide batch_per_rank.
        public var accumulation: Int?
        /// Stop after this many steps in all (for tests and benchmarks).
        public var max_steps: Int?
    }
    /// `parallel.zero_stage` when the spec gives none. Stage 1 trains to the same bits as stage 0
    /// (ZeroTests) with half the optimizer state per rank, and on one node with one copy of the
    /// parameters and no parameter allgather: the faster choice on every measurement here.
    public static let defaultZeroStage = 1

    public struct Parallel: Codable, Sendable, Equatable {
        public var ranks: Int?
        public var min_ranks: Int?
        /// ZeRO stage, default 1: the same bits as stage 0 (plain data-parallel), less memory, faster.
        public var zero_stage: Int?
        public var bucket_mb: Double?
        /// Most bytes of model state (parameters, gradients, optimizer state) a rank may hold, in MB.
        public var memory_limit_mb: Double?
    }
    public struct Checkpointing: Codable, Sendable, Equatable {
        public var every_steps: Int?
        public var every_seconds: Double?
        public var keep: Int?
        public var dir: String?
    }
    public struct Fault: Codable, Sendable, Equatable {
        public var max_restarts: Int?
    }

    public var name: String
    /// Scheduling priority for the coordinator (higher runs first); the trainer ignores it.
    public var priority: Int?
    public var model: Model
    public var data: DataSource
    public var train: Training
    public var parallel: Parallel?
    public var checkpoint: Checkpointing?
    public var fault: Fault?

    public var seed: UInt64 { UInt64(train.seed ?? 1) }
    public var accumulation: Int { train.accumulation ?? 1 }
    public var ranks: Int { parallel?.ranks ?? 1 }

    /// Samples per rank per step when `worldSize` ranks run: batch_per_rank, or global_batch split.
    /// - Throws: `SpecError` when global_batch (or its per-rank share, by the accumulation) does not divide.
    public func batchPerRank(worldSize: Int) throws(SpecError) -> Int {
        if let b = train.batch_per_rank { return b }
        let g = train.global_batch ?? 1
        guard g % worldSize == 0, (g / worldSize) % accumulation == 0 else {
            throw SpecError(source: name, message: "train.global_batch \(g) does not split into \(worldSize) rank(s) × \(accumulation) micro-batch(es)")
        }
        return g / worldSize
    }

    /// Parses and validates a spec; `source` names it in errors.
    /// The text the spec was parsed from (recorded in checkpoints).
    public var text: String { _text ?? "" }
    private var _text: String?
    private enum CodingKeys: String, CodingKey { case name, priority, model, data, train, parallel, checkpoint, fault }

    public static func parse(_ text: String, source: String) throws(SpecError) -> JobSpec {
        try YAMLLimits.check(text, source: source)  // size, depth and aliases, before any tree is built
        let node: Node?
        do { node = try Yams.compose(yaml: text) } catch {
            throw SpecError(source: source, message: "not valid YAML: \(error)")
        }
        guard let node, case .mapping = node else { throw SpecError(source: source, message: "expected a mapping of keys at the top level") }
        try checkKeys(node, path: "", schema: schema, source: source)
        var spec: JobSpec
        do { spec = try YAMLDecoder().decode(JobSpec.self, from: text) } catch let e as DecodingError {
            throw SpecError(source: source, message: describe(e))
        } catch { throw SpecError(source: source, message: "\(error)") }
        try spec.validate(source: source)
        var withText = spec
        withText._text = text
        return withText
    }

    /// Reads and parses the spec file at `path`.
    public static func load(path: String) throws(SpecError) -> JobSpec {
        guard FileManager.default.fileExists(atPath: path) else { throw SpecError(source: path, message: "no such file") }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SpecError(source: path, message: "cannot read the file as UTF-8 text")
        }
        return try parse(text, source: path)
    }

    public func validate(source: String) throws(SpecError) {
        func fail(_ m: String) -> SpecError { SpecError(source: source, message: m) }
        guard ["mlp", "cnn"].contains(model.kind) else { throw fail("model.kind: unknown model kind '\(model.kind)' (expected mlp or cnn)") }
        if let h = model.hidden, h.isEmpty || h.contains(where: { $0 <= 0 }) { throw fail("model.hidden: widths must be positive, got \(h)") }
        if let c = model.channels, c.count != 2 || c.contains(where: { $0 <= 0 }) { throw fail("model.channels: expected two positive counts, got \(c)") }
        guard data.kind == "fashion-mnist" else { throw fail("data.kind: unknown data set '\(data.kind)' (expected fashion-mnist)") }
        guard train.epochs > 0 else { throw fail("train.epochs: must be at least 1, got \(train.epochs)") }
        switch (train.batch_per_rank, train.global_batch) {
        case (nil, nil): throw fail("missing key 'train.batch_per_rank' (or 'train.global_batch')")
        case (.some, .some): throw fail("train: give batch_per_rank or global_batch, not both")
        case let (b?, nil): guard b > 0 else { throw fail("train.batch_per_rank: must be at least 1, got \(b)") }
        case let (nil, g?):
            guard g > 0 else { throw fail("train.global_batch: must be at least 1, got \(g)") }
            if let r = parallel?.ranks, r > 0, g % r != 0 { throw fail("train.global_batch: \(g) does not split over parallel.ranks \(r)") }
        }
        guard ["sgd", "adam", "adamw"].contains(train.optimizer) else { throw fail("train.optimizer: unknown optimizer '\(train.optimizer)' (expected sgd, adam or adamw)") }
        guard train.lr > 0, train.lr.isFinite else { throw fail("train.lr: must be a positive number, got \(train.lr)") }
        if let s = train.seed, s < 0 { throw fail("train.seed: must be non-negative, got \(s)") }
        if let a = train.accumulation {
            guard a > 0 else { throw fail("train.accumulation: must be at least 1, got \(a)") }
            if let b = train.batch_per_rank, b % a != 0 {
                throw fail("train.accumulation: \(a) does not divide train.batch_per_rank \(b)")
            }
        }
        if let m = train.max_steps, m <= 0 { throw fail("train.max_steps: must be at least 1, got \(m)") }
        if let p = parallel {
            if let r = p.ranks, r < 1 { throw fail("parallel.ranks: must be at least 1, got \(r)") }
            if let m = p.min_ranks, m < 1 || m > (p.ranks ?? m) { throw fail("parallel.min_ranks: must be in 1…ranks, got \(m)") }
            if let m = p.min_ranks, m < (p.ranks ?? m), train.global_batch == nil {
                throw fail("parallel.min_ranks: an elastic job (min_ranks \(m) below ranks \(p.ranks ?? m)) must give train.global_batch instead of batch_per_rank, so a restart on fewer ranks keeps the batch")
            }
            if let z = p.zero_stage, !(0...2).contains(z) { throw fail("parallel.zero_stage: must be 0, 1 or 2, got \(z)") }
            if let b = p.bucket_mb, !(b > 0 && b <= 1024) { throw fail("parallel.bucket_mb: must be in (0, 1024], got \(b)") }
            if let m = p.memory_limit_mb, !(m > 0) { throw fail("parallel.memory_limit_mb: must be positive, got \(m)") }
        }
        if let c = checkpoint {
            if let e = c.every_steps, e < 1 { throw fail("checkpoint.every_steps: must be at least 1, got \(e)") }
            if let e = c.every_seconds, !(e > 0) { throw fail("checkpoint.every_seconds: must be positive, got \(e)") }
            if let k = c.keep, k < 1 { throw fail("checkpoint.keep: must be at least 1, got \(k)") }
        }
        if let f = fault, let m = f.max_restarts, m < 0 { throw fail("fault.max_restarts: must be non-negative, got \(m)") }
    }
}

/// A job spec that cannot be used, with the file and the reason.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let message: String
    public var description: String { "invalid job spec \(source): \(message)" }
}

extension JobSpec {
    /// Allowed keys: nested mappings by key; nil for a leaf.
    private indirect enum Schema { case leaf, map([String: Schema]) }

    private static let schema: Schema = .map([
        "name": .leaf,
        "priority": .leaf,
        "model": .map(["kind": .leaf, "hidden": .leaf, "channels": .leaf]),
        "data": .map(["kind": .leaf, "path": .leaf, "drop_last": .leaf]),
        "train": .map(["epochs": .leaf, "batch_per_rank": .leaf, "global_batch": .leaf, "optimizer": .leaf, "lr": .leaf, "seed": .leaf,
                       "momentum": .leaf, "weight_decay": .leaf, "accumulation": .leaf, "max_steps": .leaf]),
        "parallel": .map(["ranks": .leaf, "min_ranks": .leaf, "zero_stage": .leaf, "bucket_mb": .leaf, "memory_limit_mb": .leaf]),
        "checkpoint": .map(["every_steps": .leaf, "every_seconds": .leaf, "keep": .leaf, "dir": .leaf]),
        "fault": .map(["max_restarts": .leaf]),
    ])

    private static func checkKeys(_ node: Node, path: String, schema: Schema, source: String) throws(SpecError) {
        guard case let .map(allowed) = schema, case let .mapping(mapping) = node else { return }
        for (k, v) in mapping {
            guard let key = k.string else { throw SpecError(source: source, message: "\(path.isEmpty ? "top level" : path): keys must be strings") }
            let full = path.isEmpty ? key : "\(path).\(key)"
            guard let sub = allowed[key] else {
                throw SpecError(source: source, message: "unknown key '\(full)' (allowed here: \(allowed.keys.sorted().joined(separator: ", ")))")
            }
            if case .map = sub, v.mapping == nil {
                throw SpecError(source: source, message: "\(full): expected a mapping of keys")
            }
            try checkKeys(v, path: full, schema: sub, source: source)
        }
    }

    private static func describe(_ e: DecodingError) -> String {
        func path(_ c: [CodingKey]) -> String {
            c.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".").replacingOccurrences(of: ".[", with: "[")
        }
        switch e {
        case let .typeMismatch(t, c): return "\(path(c.codingPath)): expected \(typeName(t))"
        case let .valueNotFound(t, c): return "\(path(c.codingPath)): expected \(typeName(t)), found nothing"
        case let .keyNotFound(k, c):
            let p = path(c.codingPath)
            return "missing key '\(p.isEmpty ? k.stringValue : p + "." + k.stringValue)'"
        case let .dataCorrupted(c): return "\(path(c.codingPath)): \(c.debugDescription)"
        @unknown default: return "\(e)"
        }
    }

    private static func typeName(_ t: Any.Type) -> String {
        switch t {
        case is Int.Type: return "an integer"
        case is Double.Type: return "a number"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        case is [Int].Type: return "a list of integers"
        default: return "a \(t)"
        }
    }
}
