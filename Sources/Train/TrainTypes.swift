// Implements: what a training run takes and returns, for both loops (Trainer: images by
// epochs; TextTrainer: text by steps): TrainOptions, TrainSummary, TrainError, and TrainingRun,
// the surface `cohort train` drives either through.
import Checkpoint
import NN
import Parallel

/// Where a run reads and writes, beside its spec.
public struct TrainOptions {
    /// Data directory overriding the spec's and the default.
    public var dataDirectory: String?
    /// JSON-lines metrics file; nil writes none.
    public var metricsPath: String?
    public var progress: Progress.Style
    /// Evaluate on the test set after each epoch.
    public var evaluate = true
    /// Ring allreduce bucket size in bytes; default from the spec (parallel.bucket_mb, else 4 MB).
    public var bucketBytes: Int?
    /// ZeRO stage overriding the spec's parallel.zero_stage.
    public var zeroStage: Int?
    /// Checkpoint directory overriding the spec's checkpoint.dir (default checkpoints/<job name>).
    public var checkpointDirectory: String?
    /// "latest" (the newest valid checkpoint; an error if none), "auto" (the same, or a fresh
    /// start if none), or a checkpoint directory.
    public var resume: String?

    public init(dataDirectory: String? = nil, metricsPath: String? = nil, progress: Progress.Style = .silent,
                evaluate: Bool = true, bucketBytes: Int? = nil, zeroStage: Int? = nil,
                checkpointDirectory: String? = nil, resume: String? = nil) {
        self.zeroStage = zeroStage
        self.checkpointDirectory = checkpointDirectory
        self.resume = resume
        self.dataDirectory = dataDirectory
        self.metricsPath = metricsPath
        self.progress = progress
        self.evaluate = evaluate
        self.bucketBytes = bucketBytes
    }
}

/// What a finished run reports.
public struct TrainSummary: Sendable {
    public var steps: Int
    public var epochs: Int
    public var finalLoss: Double
    public var testAccuracy: Double?
    /// Aggregate samples per second over all ranks, over the whole run.
    public var samplesPerSecond: Double
    /// Aggregate samples per second after the first `Trainer.warmupSteps` steps, excluding
    /// evaluation: the steady-state figure benchmarks quote (nil if the run was shorter).
    public var steadySamplesPerSecond: Double?
    /// Share of the gradient allreduce time hidden behind backward (nil with one rank).
    public var overlapHidden: Double?
    /// Text: mean loss over the fixed validation windows at the end.
    public var validationLoss: Double? = nil
}

/// A run that cannot start as asked.
public struct TrainError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// What `cohort train` needs of a training loop.
public protocol TrainingRun: AnyObject {
    var model: any Model { get }
    var parallel: DataParallel { get }
    var checkpointer: Checkpointer? { get }
    var rank: Int { get }
    var ranks: Int { get }
    var startStep: Int { get }
    var afterStep: ((Int) throws -> Void)? { get set }
    var onProgress: ((Int, Double, Double) -> Void)? { get set }
    func run() throws -> TrainSummary
}

extension Trainer: TrainingRun {}
