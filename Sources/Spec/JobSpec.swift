// Implements: JobSpec, the YAML job description (cluster/jobs/*.yaml), decoded strictly: an
// unknown key, a wrong type or an out-of-range value is an error naming the key path.
import Foundation
import Yams

public struct JobSpec: Codable, Sendable, Equatable {
    public struct Model: Codable, Sendable, Equatable {
        /// "mlp", "cnn" or "gpt".
        public var kind: String
        /// MLP hidden widths.
        public var hidden: [Int]?
        /// CNN channel counts of its two conv layers.
        public var channels: [Int]?
        /// GPT: blocks, attention heads, width, and the longest context (positions) it takes.
        public var layers: Int?, heads: Int?, dim: Int?, context: Int?
    }
    public struct DataSource: Codable, Sendable, Equatable {
        /// "fashion-mnist", "npy" (`inputs`, `labels`), "text" (the bytes of `files`), "tokens" (llm.c
        /// token shards `files`) or "shakespeare" (workload G's corpus).
        public var kind: String
        /// npy: the inputs and labels, each FILE.npy, FILE.npz or FILE.npz:NAME.
        public var inputs: String?, labels: String?
        /// Text: files read as bytes, concatenated in order; validation windows scored (default 256).
        public var files: [String]?, eval_windows: Int?
        /// Directory of the IDX files; default: where Debian's package installs them.
        public var path: String?
        /// Drop the epoch's last incomplete global batch instead of wrapping around.
        public var drop_last: Bool?
    }
    public struct Training: Codable, Sendable, Equatable {
        /// Passes over the data set (image data); text trains for `steps` instead.
        public var epochs: Int?
        /// Text: steps in all; the lr schedule (default constant); Adam's (β1, β2) and ε (default 0.9,
        /// 0.999, 1e-8); the global gradient-norm clip; steps between validations (JobSpec+Text.swift).
        public var steps: Int?, schedule: Schedule?, betas: [Double]?, eps: Double?, clip_norm: Double?, eval_every: Int?
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
        /// A safetensors file whose tensors (every name and shape checked) replace the initial parameters.
        public var init_from: String?
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
        /// What gradients are on the links between nodes: fp32 (default), bf16 or fp16 (half the
        /// bytes, rounding errors fed back into the next step); the node-local paths stay fp32.
        public var grad_dtype: String?
        /// Local SGD: every H steps average parameters and optimizer state (default 1: reduce
        /// every step's gradients). JobSpec+LocalSGD.swift.
        public var sync_every: Int?
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

}

/// A job spec that cannot be used, with the file and the reason.
public struct SpecError: Error, CustomStringConvertible, Equatable {
    public let source: String
    public let message: String
    public var description: String { "invalid job spec \(source): \(message)" }
    public init(source: String, message: String) { self.source = source; self.message = message }
}

extension JobSpec {
    /// Allowed keys: nested mappings by key; nil for a leaf.
    private indirect enum Schema { case leaf, map([String: Schema]) }

    private static let schema: Schema = .map([
        "name": .leaf,
        "priority": .leaf,
        "model": .map(["kind": .leaf, "hidden": .leaf, "channels": .leaf, "layers": .leaf, "heads": .leaf, "dim": .leaf, "context": .leaf]),
        "data": .map(["kind": .leaf, "path": .leaf, "drop_last": .leaf, "files": .leaf, "eval_windows": .leaf, "inputs": .leaf, "labels": .leaf]),
        "train": .map(["epochs": .leaf, "batch_per_rank": .leaf, "global_batch": .leaf, "optimizer": .leaf, "lr": .leaf, "seed": .leaf,
                       "momentum": .leaf, "weight_decay": .leaf, "accumulation": .leaf, "max_steps": .leaf, "steps": .leaf,
                       "schedule": .map(["kind": .leaf, "warmup_steps": .leaf, "start_factor": .leaf, "end_factor": .leaf]),
                       "betas": .leaf, "eps": .leaf, "clip_norm": .leaf, "eval_every": .leaf, "init_from": .leaf]),
        "parallel": .map(["ranks": .leaf, "min_ranks": .leaf, "zero_stage": .leaf, "bucket_mb": .leaf, "memory_limit_mb": .leaf, "grad_dtype": .leaf,
                          "sync_every": .leaf]),
        "checkpoint": .map(["every_steps": .leaf, "every_seconds": .leaf, "keep": .leaf, "dir": .leaf]),
        "fault": .map(["max_restarts": .leaf]),
    ])

    private static func checkKeys(_ node: Node, path: String, schema: Schema, source: String) throws(SpecError) {
        guard case let .map(allowed) = schema, case let .mapping(mapping) = node else { return }
        for (k, v) in mapping {
            guard let key = k.string else { throw SpecError(source: source, message: "\(path.isEmpty ? "top level" : path): keys must be strings") }
            let full = path.isEmpty ? key : "\(path).\(key)"
            guard let sub = allowed[key] else {
                let near = Suggestion.nearest(key, in: Array(allowed.keys)).map { "'\($0)'" }.joined(separator: " or ")
                throw SpecError(source: source, message: "unknown key '\(full)'\(near.isEmpty ? "" : "; did you mean \(near)?") (allowed here: \(allowed.keys.sorted().joined(separator: ", ")))")
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
        case is [String].Type: return "a list of strings"
        case is [Double].Type: return "a list of numbers"
        default: return "a \(t)"
        }
    }
}
