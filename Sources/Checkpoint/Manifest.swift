// Implements: Manifest, the description of one committed checkpoint (docs/checkpoint-format.md
// owns the format). A checkpoint directory without a manifest whose files all match their
// recorded sizes and CRC32s does not exist.
import NN

/// The description of one committed checkpoint, stored as manifest.json (docs/checkpoint-format.md).
public struct Manifest: Codable, Equatable, Sendable {
    /// This code reads and writes version 1 only.
    public static let formatVersion = 1

    /// Where the data sampler stood when the state was taken.
    public struct Sampler: Codable, Equatable, Sendable {
        /// The permutation of an epoch is a function of (seed, epoch) alone.
        public var seed: UInt64
        /// The epoch in progress.
        public var epoch: Int
        /// Samples of `epoch` already consumed over all ranks (resuming divides it by the new
        /// global batch, so the position survives a change of world size).
        public var position: Int

        /// A sampler position.
        public init(seed: UInt64, epoch: Int, position: Int) {
            self.seed = seed
            self.epoch = epoch
            self.position = position
        }
    }

    /// What the optimizer state in the rank files is.
    public struct OptimizerState: Codable, Equatable, Sendable {
        /// "sgd", "adam" or "adamw" (the spec's name).
        public var kind: String
        /// Steps the optimizer has taken (Adam's bias correction).
        public var steps: Int
        /// State buffers per parameter (Adam: 2, m and v; SGD with momentum: 1; plain SGD: 0).
        public var buffers: Int
        /// The learning rate at the time of the checkpoint.
        public var learningRate: Double
    }

    /// One rank's file in the checkpoint directory.
    public struct File: Codable, Equatable, Sendable {
        /// The rank that wrote it.
        public var rank: Int
        /// Name inside the checkpoint directory.
        public var file: String
        /// Its size in bytes.
        public var bytes: Int
        /// CRC32 of its bytes.
        public var crc32: UInt32
        /// Element ranges of the flat buffer this file holds, [lo, hi) each; for every range, in
        /// order: its parameters, then each optimizer state buffer, as little-endian float32.
        public var ranges: [[Int]]
    }

    /// The format version it was written in (`formatVersion`).
    public var format_version: Int
    /// The job's name.
    public var job: String
    /// The job spec (YAML) the run was started with, so `cohort eval` can rebuild the model.
    public var spec: String
    /// Optimizer steps completed when the state was taken.
    public var step: Int
    /// Ranks that wrote the checkpoint.
    public var world_size: Int
    /// The ZeRO stage of the run that wrote it.
    public var zero_stage: Int
    /// Ψ, the length of the flat parameter buffer.
    public var parameter_count: Int
    /// Name, shape and offset of every parameter tensor.
    public var layout: [ParameterLayout.Entry]
    /// The sampler's position.
    public var sampler: Sampler
    /// Other random streams: none today (training draws nothing but the sampler's permutation,
    /// which `sampler` fixes). Kept so a later format can add them without a version bump.
    public var rng_states: [String: [UInt64]]
    /// The optimizer's kind, steps, buffers and learning rate.
    public var optimizer: OptimizerState
    /// Every rank file, with its size, CRC32 and element ranges.
    public var files: [File]
    /// Seconds since 1970 when rank 0 committed it.
    public var created: Double
}
