// Implements: TrainingSetup, what both training loops (Trainer, TextTrainer) build the same way
// before their first step, in this order:
//   world-size check → (the loop's data: its own) → model parameters (`initializeParameters`) →
//   DataParallel (bucket size, ZeRO stage, gradient format) → memory-limit check → progress and
//   metrics (rank 0 only) → rank 0's parameters to every rank → Checkpointer → `--resume` →
//   parametersWritten.
// Each loop keeps only its data, its start position and its check of a resumed checkpoint's layout;
// `finish` commits a checkpoint of the final step, so eval, export and sample get what was trained.
import Checkpoint
import Collectives
import Foundation
import NN
import Parallel

struct TrainingSetup {
    let parallel: DataParallel
    let progress: Progress
    let metrics: MetricsLog
    /// Writes checkpoints (nil when the spec has no checkpoint section and none is asked for).
    let checkpointer: Checkpointer?
    /// The checkpoint this run resumed from (already restored into `parallel`), if any.
    let resumed: (path: String, manifest: Manifest)?

    /// Throws unless `size` ranks lie within the spec's parallel.min_ranks…parallel.ranks.
    static func checkWorldSize(_ spec: JobSpec, size: Int) throws {
        let maxRanks = spec.parallel?.ranks ?? size, minRanks = spec.parallel?.min_ranks ?? 1
        guard size >= minRanks && size <= max(maxRanks, minRanks) else {
            throw TrainError("\(size) ranks started, but the spec allows \(minRanks)…\(maxRanks) (parallel.min_ranks…parallel.ranks)")
        }
    }

    /// The model's parameters before training (a resume then overwrites them): the spec's seed,
    /// then `train.init_from`'s weights when it names a file.
    static func initializeParameters(_ model: any Model, spec: JobSpec) throws {
        model.initialize(seed: spec.seed)
        try spec.loadInitialWeights(into: model)
    }

    /// Builds the rank's DataParallel around an initialised `model`, then its checkpointer, and
    /// restores `--resume`'s checkpoint after `checkResume` accepted it.
    /// - Parameters:
    ///   - learningRate: The optimizer's first rate (the schedule's at step 0 for text).
    ///   - checkResume: The loop's own check of a checkpoint to resume (path, manifest); throws to refuse it.
    /// - Throws: `TrainError` above parallel.memory_limit_mb; a checkpoint or collective error.
    init(spec: JobSpec, options: TrainOptions, model: any Model, comm: Communicator?, worker: CommThread?,
         learningRate: Float, clipNorm: Float? = nil, noDecay: @escaping (ParameterLayout.Entry) -> Bool = { _ in false },
         checkResume: (String, Manifest) throws -> Void = { _, _ in }) throws {
        let size = comm?.size ?? 1, rank = comm?.rank ?? 0
        let bucket = options.bucketBytes ?? Int((spec.parallel?.bucket_mb ?? 4) * 1_048_576)
        let stage = options.zeroStage ?? spec.parallel?.zero_stage ?? spec.defaultStage
        parallel = DataParallel(model: model, comm: comm, worker: worker, bucketBytes: bucket, stage: stage,
                                optimizer: spec.optimizerKind, learningRate: learningRate, clipNorm: clipNorm, noDecay: noDecay,
                                gradientFormat: try spec.gradientFormat(stage: stage), syncEvery: try spec.syncEvery(stage: stage),
                                memoryLimitBytes: spec.parallel?.memory_limit_mb.map { Int($0 * 1_048_576) })
        if let limit = spec.parallel?.memory_limit_mb, Double(parallel.memory.total) > limit * 1_048_576 {
            let mb = Double(parallel.memory.total) / 1_048_576
            throw TrainError(String(format: "model state needs %.1f MB per rank at ZeRO stage %d on %d rank(s), above parallel.memory_limit_mb %.1f; "
                                    + "use a higher zero_stage or more ranks", mb, parallel.stage, size, limit))
        }
        progress = Progress(style: rank == 0 ? options.progress : .silent)
        metrics = MetricsLog(path: rank == 0 ? options.metricsPath : nil)
        try parallel.broadcastParameters()
        let dir = options.checkpointDirectory ?? spec.checkpoint?.dir ?? "checkpoints/\(spec.name)"
        if spec.checkpoint != nil || options.checkpointDirectory != nil || options.resume != nil {
            checkpointer = try Checkpointer(directory: dir, job: spec.name, specText: spec.text, keep: spec.checkpoint?.keep ?? 3,
                                            parallel: parallel, optimizerName: spec.train.optimizer, log: progress.note)
        } else {
            checkpointer = nil
        }
        var resumed: (String, Manifest)?
        if let resume = options.resume, let checkpointer {
            let note = progress.note
            do { resumed = try CheckpointReader.resolve(resume == "auto" ? "latest" : resume, directory: dir, log: note) } catch {
                // "auto" with no checkpoint at all is a fresh start; a damaged one is still an error.
                guard resume == "auto", case .noValidCheckpoint(_, let reasons) = error, reasons.isEmpty else { throw error }
            }
            if let (path, manifest) = resumed {
                try checkResume(path, manifest)
                try checkpointer.restore(try CheckpointReader.load(path, manifest: manifest))
            }
        }
        self.resumed = resumed
        if let (_, manifest) = resumed { metrics.resume(atStep: manifest.step) }
        try parallel.parametersWritten()
    }

    /// At the end of a run: commits the pending checkpoint and, unless the last one begun is of
    /// `step` already, one of `step` (every rank calls this with the same arguments).
    /// - Parameter lastBegun: The step of the last checkpoint begun (or resumed from) in this run.
    func finish(step: Int, lastBegun: Int?, sampler: Manifest.Sampler) throws {
        guard let checkpointer else { return }
        if lastBegun != step { try checkpointer.begin(step: step, sampler: sampler) }
        try checkpointer.commit()
    }
}
