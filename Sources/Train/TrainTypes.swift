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
    /// How progress is shown on stderr (default `.silent`).
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

    /// Sets each option; see the properties for what nil means.
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
    /// Optimizer steps taken, including those before a resume.
    public var steps: Int
    /// Epochs run (0 for a text run, which counts steps).
    public var epochs: Int
    /// The last reported training loss, averaged over ranks.
    public var finalLoss: Double
    /// Accuracy on the test set at the end (nil when there was no evaluation or no test set).
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
    /// What cannot be done, and why.
    public let description: String
    /// An error whose message is `d`.
    public init(_ d: String) { description = d }
}

/// What `cohort train` needs of a training loop.
public protocol TrainingRun: AnyObject {
    /// The model being trained.
    var model: any Model { get }
    /// This rank's data-parallel state.
    var parallel: DataParallel { get }
    /// Writes checkpoints (nil when none are written).
    var checkpointer: Checkpointer? { get }
    /// This process's rank.
    var rank: Int { get }
    /// The number of ranks.
    var ranks: Int { get }
    /// The step this run starts at: 0, or the resumed checkpoint's.
    var startStep: Int { get }
    /// Called after every optimizer step with the global step number.
    var afterStep: ((Int) throws -> Void)? { get set }
    /// Called with (step, training loss averaged over ranks, aggregate samples/s) as the run reports.
    var onProgress: ((Int, Double, Double) -> Void)? { get set }
    /// Trains to the end and returns the summary.
    func run() throws -> TrainSummary
}

extension Trainer: TrainingRun {}
