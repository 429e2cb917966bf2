// Implements: TrainingLoop, the library's training loop for a user's own classification model and
// data set: one call trains for n steps, or `step()` takes one optimizer step at a time.
//   sampler(seed, epoch, rank) → batch → forward → softmax cross-entropy → backward with bucketed,
//   overlapped reduction (mean over ranks) → optimizer step at ZeRO stage 0, 1 or 2 → checkpoint.
// Each rank's loss is divided by its batch B and the reduction averages over N ranks, so N ranks × B
// take the same steps as 1 rank × N·B. Every rank calls every method at the same steps.
// Shapes: x (B, sample…), logits (B, classes), labels (B).
import Checkpoint
import Collectives
import Data
import Foundation
import NN
import Parallel
import Tensor

/// Trains a `Model` on a `Dataset` with Cohort's data parallelism, ZeRO stages and checkpoints.
///
/// ```swift
/// let ranks = try RankContext()            // MPI under mpirun, else one process
/// let loop = try TrainingLoop(model: model, data: train, ranks: ranks, batchPerRank: 32,
///                             optimizer: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false),
///                             learningRate: 1e-3)
/// let loss = try loop.run(steps: 100)
/// ```
public final class TrainingLoop {
    /// Where and how often a loop writes checkpoints.
    public struct Checkpoints {
        /// Root directory of the step-NNNNNNNN checkpoints.
        public var directory: String
        /// Take one every this many steps (nil: only when `checkpoint()` is called).
        public var everySteps: Int?
        /// Committed checkpoints kept (older ones are deleted).
        public var keep: Int
        /// Start from the newest valid checkpoint in `directory`, if there is one.
        public var resume: Bool
        /// Recorded in every manifest (a description of the model, for whoever reads it later).
        public var description: String

        /// - Parameters:
        ///   - directory: Root directory; created if missing.
        ///   - everySteps: Steps between checkpoints; nil for none but explicit ones.
        ///   - keep: Committed checkpoints kept, at least 1.
        ///   - resume: Resume from the newest valid checkpoint found in `directory`.
        ///   - description: Free text recorded in the manifest's `spec` field.
        public init(directory: String, everySteps: Int? = nil, keep: Int = 3, resume: Bool = false, description: String = "") {
            self.directory = directory; self.everySteps = everySteps; self.keep = keep
            self.resume = resume; self.description = description
        }
    }

    /// The model being trained (its parameters live in `model.store`).
    public let model: any Model
    /// The training data.
    public let data: Dataset
    /// This rank's data-parallel state: reduction, ZeRO shards, optimizer.
    public let parallel: DataParallel
    /// Writes checkpoints (nil without `Checkpoints`).
    public let checkpointer: Checkpointer?
    /// Samples per rank per step.
    public let batch: Int
    /// The sampler's seed (the epochs' permutations are drawn from it alone).
    public let seed: UInt64
    /// Optimizer steps taken so far, including those before a resume.
    public private(set) var stepsDone = 0
    /// This process's rank and the number of ranks.
    public var rank: Int { parallel.rank }
    /// The number of ranks.
    public var ranks: Int { parallel.size }
    /// Called after every step on every rank with (steps done, loss averaged over ranks).
    public var onStep: ((Int, Double) -> Void)?

    private let sampler: DistributedSampler
    private let batcher: Batcher
    private let loss = SoftmaxCrossEntropy()
    private let everySteps: Int?
    private var permutation: (epoch: Int, order: [Int]) = (-1, [])

    /// Initialises the model's parameters from `seed` (unless `initialize` is false), copies rank 0's
    /// to every rank, and resumes from a checkpoint if asked.
    /// - Parameters:
    ///   - model: Any `Model` (e.g. a `Sequential` of your own `Layer`s); its output is (B, classes) logits.
    ///   - data: Samples and labels; every rank must pass the same data set.
    ///   - ranks: The rank context (`RankContext()`); nil trains in this process alone.
    ///   - batchPerRank: Samples per rank per step, B.
    ///   - optimizer: SGD or Adam(W) and their hyper-parameters.
    ///   - learningRate: The optimizer's learning rate (change it with `setLearningRate`).
    ///   - zeroStage: 0 (replicated optimizer state), 1 (sharded optimizer state) or 2 (and sharded gradients).
    ///   - seed: Seeds the parameters and the sampler.
    ///   - initialize: Set false to keep parameters already in `model.store` (weights made elsewhere).
    ///   - bucketBytes: Gradient bucket size (DDP's bucket_cap_mb), default 4 MB.
    ///   - clipNorm: Clip the global gradient norm to this before each step.
    ///   - checkpoints: Where to write checkpoints and whether to resume; nil for none.
    /// - Throws: `CheckpointError` if the checkpoints to resume from are damaged or hold another model
    ///   or optimizer;
    ///   `TrainError` for a batch of 0 or a zero stage outside 0…2.
    public init(model: any Model, data: Dataset, ranks: RankContext?, batchPerRank: Int, optimizer: OptimizerKind,
                learningRate: Float, zeroStage: Int = 1, seed: UInt64 = 0, initialize: Bool = true,
                bucketBytes: Int = 4 << 20, clipNorm: Float? = nil, checkpoints: Checkpoints? = nil) throws {
        guard batchPerRank > 0 else { throw TrainError("batchPerRank must be at least 1, got \(batchPerRank)") }
        guard (0...2).contains(zeroStage) else { throw TrainError("zeroStage must be 0, 1 or 2, got \(zeroStage)") }
        self.model = model; self.data = data; batch = batchPerRank; self.seed = seed
        everySteps = checkpoints?.everySteps
        if initialize { model.initialize(seed: seed) }
        parallel = DataParallel(model: model, comm: ranks?.comm, worker: ranks?.worker, bucketBytes: bucketBytes,
                                stage: zeroStage, optimizer: optimizer, learningRate: learningRate, clipNorm: clipNorm)
        sampler = DistributedSampler(count: data.count, rank: parallel.rank, ranks: parallel.size, batch: batchPerRank, seed: seed)
        batcher = Batcher(dataset: data, batch: batchPerRank)
        try parallel.broadcastParameters()
        if let c = checkpoints {
            let ck = try Checkpointer(directory: c.directory, job: (c.directory as NSString).lastPathComponent,
                                      specText: c.description, keep: max(c.keep, 1), parallel: parallel,
                                      optimizerName: optimizer.name, log: { _ in })
            checkpointer = ck
            if c.resume {
                // No checkpoint at all is a fresh start; a damaged one is an error, not a silent restart.
                let found: (String, Manifest)?
                do { found = try CheckpointReader.resolve("latest", directory: c.directory) } catch {
                    guard case .noValidCheckpoint(_, let reasons) = error, reasons.isEmpty else { throw error }
                    found = nil
                }
                if let (path, manifest) = found {
                    try ck.restore(try CheckpointReader.load(path, manifest: manifest))
                    stepsDone = manifest.step
                }
            }
        } else {
            checkpointer = nil
        }
        try parallel.parametersWritten()
    }

    /// Steps in one pass over the data (the last global batch wraps around to the epoch's start).
    public var stepsPerEpoch: Int { sampler.stepsPerEpoch }

    /// This rank's sample indices for global step `step` (0-based): the same on every run, so a
    /// resumed loop continues exactly where the checkpointed one was.
    public func indices(step: Int) -> [Int] {
        let epoch = step / sampler.stepsPerEpoch
        if permutation.epoch != epoch { permutation = (epoch, sampler.permutation(epoch: epoch)) }
        return sampler.batchIndices(step: step % sampler.stepsPerEpoch, permutation: permutation.order)
    }

    /// Takes one optimizer step on the next batch and returns its loss averaged over ranks.
    /// Checkpoints when `everySteps` says so.
    /// - Throws: `CollectiveError`/`MPIError` if a rank fails; `CheckpointError` if a write fails.
    @discardableResult
    public func step() throws -> Double {
        let x = batcher.gather(indices(step: stepsDone))
        let logits = model.forward(x)
        let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch) }
        parallel.backward(r.dlogits, accumulate: false, reduce: true)
        try parallel.step()
        stepsDone += 1
        let mean = try parallel.sumOverRanks([r.lossSum])[0] / Double(batch * ranks)
        try checkpointer?.commitIfDue(step: stepsDone)
        if let every = everySteps, stepsDone % every == 0 { try beginCheckpoint() }
        onStep?(stepsDone, mean)
        return mean
    }

    /// Takes steps until `steps` have been done in all (counting those before a resume), commits
    /// any pending checkpoint, and returns the last step's loss (nil if no step was left).
    @discardableResult
    public func run(steps: Int) throws -> Double? {
        var last: Double?
        while stepsDone < steps { last = try step() }
        try checkpointer?.commit()
        return last
    }

    /// Writes a checkpoint of the current state now and waits until it is committed.
    /// - Throws: `TrainError` without `Checkpoints`; `CheckpointError` if the write fails.
    public func checkpoint() throws {
        guard checkpointer != nil else { throw TrainError("this TrainingLoop has no checkpoint directory") }
        try beginCheckpoint()
        try checkpointer?.commit()
    }

    /// Mean loss and accuracy of the current parameters on `data`, scored in parts over the ranks.
    public func evaluate(_ data: Dataset) throws -> (loss: Double, accuracy: Double) {
        let r = Evaluation.sums(model, on: data, indices: Array(stride(from: rank, to: data.count, by: ranks)))
        let sums = try parallel.sumOverRanks([r.lossSum, Double(r.correct)])
        return (sums[0] / Double(data.count), sums[1] / Double(data.count))
    }

    /// Sets the learning rate of every later step (a schedule calls this before each step).
    public func setLearningRate(_ lr: Float) { parallel.setLearningRate(lr) }

    private func beginCheckpoint() throws {
        let global = batch * ranks, inEpoch = stepsDone % sampler.stepsPerEpoch
        try checkpointer?.begin(step: stepsDone, sampler: .init(seed: seed, epoch: stepsDone / sampler.stepsPerEpoch,
                                                                 position: inEpoch * global))
    }
}

extension OptimizerKind {
    /// The name checkpoints record and check on resume ("sgd", "adam" or "adamw").
    public var name: String {
        switch self {
        case .sgd: return "sgd"
        case let .adam(_, _, _, _, decoupled): return decoupled ? "adamw" : "adam"
        }
    }
}
