// Implements: Trainer, the training loop of one rank:
//   sampler(seed, epoch, rank) → batch → forward → loss → backward with bucketed, overlapped
//   allreduce → wait → optimizer step → metrics (averaged over ranks),
// with test-set evaluation (split over ranks) after every epoch. Rank 0 alone prints and writes.
// Shapes: x (B, 1, 28, 28), logits (B, 10); B = batch_per_rank / accumulation per micro-batch.
// Text models train in TextTrainer; the shared types are in TrainTypes.swift.
import Checkpoint
import Collectives
import Data
import Foundation
import NN
import Parallel
import Tensor

/// The training loop of one rank for an image classifier, by epochs.
public final class Trainer {
    /// The job spec the run follows.
    public let spec: JobSpec
    /// The model being trained, built from the spec.
    public let model: any Model
    /// The training set.
    public let train: Dataset
    /// The test set, loaded when evaluating (nil otherwise).
    public let test: Dataset?
    private let setup: TrainingSetup
    /// This rank's data-parallel state: reduction, ZeRO shards, optimizer.
    public var parallel: DataParallel { setup.parallel }
    /// This process's rank.
    public var rank: Int { parallel.rank }
    /// The number of ranks.
    public var ranks: Int { parallel.size }
    private let options: TrainOptions
    private let loss = SoftmaxCrossEntropy()
    private var progress: Progress { setup.progress }
    private var metrics: MetricsLog { setup.metrics }
    /// Writes checkpoints (nil when the spec has no checkpoint section and none is asked for).
    public var checkpointer: Checkpointer? { setup.checkpointer }
    /// Where training starts: steps done, and the epoch and samples of it consumed.
    private var start = (step: 0, epoch: 0, samples: 0)
    /// Samples per rank per step at this world size (JobSpec.batchPerRank).
    public let batch: Int
    /// The step this run starts at: 0, or the resumed checkpoint's.
    public var startStep: Int { start.step }
    /// Steps not counted in `TrainSummary.steadySamplesPerSecond`.
    public static let warmupSteps = 10
    /// Called after every optimizer step with the global step number (checks, checkpoints); the
    /// step's updates may still wait for the next forward: `parallel.settle()` before reading them.
    public var afterStep: ((Int) throws -> Void)?
    /// Called at a run's first step and every 10 steps with (step, mean loss over ranks and the steps since the previous report, aggregate samples/s).
    public var onProgress: ((Int, Double, Double) -> Void)?
    /// Called after each test-set evaluation with (step, metric name, value).
    public var onEvaluation: ((Int, String, Double) -> Void)?

    /// Loads the data, builds and initialises the model and its optimizer, (with a communicator)
    /// copies rank 0's parameters to every rank, and resumes as asked (TrainingSetup).
    /// - Parameters:
    ///   - comm: The rank's communicator, used only on `worker`; nil for one process.
    public init(spec: JobSpec, options: TrainOptions, comm: Communicator? = nil, worker: CommThread? = nil) throws {
        self.spec = spec
        self.options = options
        try TrainingSetup.checkWorldSize(spec, size: comm?.size ?? 1)
        batch = try spec.batchPerRank(worldSize: comm?.size ?? 1)
        (train, test) = try Trainer.loadDataset(spec, options)
        model = spec.makeModel()
        try TrainingSetup.initializeParameters(model, spec: spec)
        setup = try TrainingSetup(spec: spec, options: options, model: model, comm: comm, worker: worker,
                                  learningRate: Float(spec.train.lr))
        if let (path, manifest) = setup.resumed {
            start = (manifest.step, manifest.sampler.epoch, manifest.sampler.position)
            progress.note("resumed from \(path): step \(manifest.step), epoch \(manifest.sampler.epoch + 1), "
                          + "written by \(manifest.world_size) rank(s) at ZeRO stage \(manifest.zero_stage)")
        }
    }

    /// The training set, and the test set when evaluating (IDX or NumPy; JobSpec+Data.swift).
    static func loadDataset(_ spec: JobSpec, _ options: TrainOptions) throws -> (train: Dataset, test: Dataset?) {
        (try spec.imageData(train: true, directory: options.dataDirectory)!,
         options.evaluate ? try spec.imageData(train: false, directory: options.dataDirectory) : nil)
    }

    /// Runs every epoch (or `train.max_steps` steps) and returns the summary.
    public func run() throws -> TrainSummary {
        let batch = self.batch, micro = batch / spec.accumulation
        let sampler = DistributedSampler(count: train.count, rank: rank, ranks: ranks, batch: batch, seed: spec.seed,
                                         dropLast: spec.data.drop_last ?? false)
        let batcher = Batcher(dataset: train, batch: micro)
        let steps = sampler.stepsPerEpoch, epochs = spec.train.epochs ?? 1
        let maxSteps = spec.train.max_steps ?? Int.max
        var globalStep = start.step, lastLoss = 0.0, accuracy: Double? = nil
        let globalBatch = batch * ranks
        guard start.samples % globalBatch == 0 else {
            throw TrainError("cannot resume at sample \(start.samples) of epoch \(start.epoch + 1): not a multiple of the global batch \(globalBatch)")
        }
        var firstStep = start.samples / globalBatch, firstEpoch = start.epoch
        if firstStep >= steps { firstEpoch += 1; firstStep = 0 }
        let everySteps = spec.checkpoint?.every_steps, everySeconds = spec.checkpoint?.every_seconds
        var lastCheckpoint = Date(), lastBegun = setup.resumed?.manifest.step
        var endSampler = Manifest.Sampler(seed: spec.seed, epoch: start.epoch, position: start.samples)
        let runStart = Date()
        var samples = 0
        var steadyStart: UInt64 = 0, steadySeconds = 0.0, steadySamples = 0
        var clock = PhaseClock()
        defer {
            if ProcessInfo.processInfo.environment["COHORT_PROFILE"] == "1" {
                FileHandle.standardError.write(Data("rank \(rank) per step: \(clock.summary)\n".utf8))
            }
        }
        progress.note("training \(spec.name): \(spec.model.kind), \(model.parameterCount) parameters, \(ranks) rank(s), ZeRO \(parallel.stage)\(parallel.sharesParameters ? " (parameters shared on this node)" : ""), "
                      + "\(epochs) epochs × \(steps) steps of \(batch)\(ranks > 1 ? " per rank" : "")")
        epochLoop: for epoch in firstEpoch..<max(epochs, firstEpoch) {
            let perm = sampler.permutation(epoch: epoch)
            let epochStart = Date()
            var lossSum = 0.0, seen = 0, shownLoss = 0.0
            var reportedSum = 0.0, reportedSeen = 0  // at the last report: onProgress gets the loss since then
            for step in (epoch == firstEpoch ? firstStep : 0)..<steps {
                if globalStep >= maxSteps {
                    lastLoss = try parallel.sumOverRanks([lossSum])[0] / Double(max(seen * ranks, 1))
                    break epochLoop
                }
                // Steady-state timing: from the end of the warm-up steps, paused for evaluation.
                let timed = globalStep >= Trainer.warmupSteps
                if timed && steadyStart == 0 {
                    if steadySamples == 0 { parallel.resetTimers() }
                    steadyStart = DispatchTime.now().uptimeNanoseconds
                }
                let indices = sampler.batchIndices(step: step, permutation: perm)
                if timed { clock.start() }
                for m in 0..<spec.accumulation {
                    let x = batcher.gather(Array(indices[(m * micro)..<((m + 1) * micro)]))
                    let logits = try parallel.forward(x)   // finishes the last step's updates layer by layer
                    let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch) }
                    clock.mark(0)
                    parallel.backward(r.dlogits, accumulate: m > 0, reduce: m == spec.accumulation - 1)
                    clock.mark(1)
                    lossSum += r.lossSum
                }
                try parallel.finishReduction()
                clock.mark(2)
                try parallel.step(untilForward: true)
                clock.mark(3)
                if timed { steadySamples += batch * ranks }
                seen += batch
                samples += batch * ranks
                globalStep += 1
                endSampler = .init(seed: spec.seed, epoch: epoch, position: (step + 1) * globalBatch)
                try afterStep?(globalStep)
                try checkpointer?.commitIfDue(step: globalStep)   // a snapshot of a few steps ago, written meanwhile
                // The shown loss is averaged over ranks every 10 steps: a decision by step number,
                // so every rank joins the same collectives without asking rank 0's clock.
                var checkpointDue = everySteps.map { globalStep % $0 == 0 } ?? false
                if step % 10 == 9 || step == steps - 1 {
                    // Rank 0's clock decides time-based checkpoints; its vote rides on this sum.
                    let timeDue = rank == 0 && everySeconds.map { Date().timeIntervalSince(lastCheckpoint) >= $0 } ?? false
                    let sums = try parallel.sumOverRanks([lossSum, timeDue ? 1 : 0])
                    shownLoss = sums[0] / Double(seen * ranks)
                    if sums[1] > 0 { checkpointDue = true }
                    let windowLoss = (sums[0] - reportedSum) / Double(max(1, (seen - reportedSeen) * ranks))
                    reportedSum = sums[0]; reportedSeen = seen
                    onProgress?(globalStep, windowLoss, Double(seen * ranks) / max(Date().timeIntervalSince(epochStart), 1e-9))
                } else if shownLoss == 0 {
                    shownLoss = lossSum / Double(seen)  // this rank's own, until the first average
                }
                if globalStep == start.step + 1 && !(step % 10 == 9 || step == steps - 1) {
                    // The first step of a run (after a resume: the moment training resumed) is reported too.
                    onProgress?(globalStep, shownLoss, Double(seen * ranks) / max(Date().timeIntervalSince(epochStart), 1e-9))
                }
                if checkpointDue, let checkpointer {
                    try parallel.settle()   // the snapshot must hold this step's parameters
                    try checkpointer.begin(step: globalStep, sampler: endSampler)
                    lastCheckpoint = Date(); lastBegun = globalStep
                }
                let elapsed = Date().timeIntervalSince(epochStart)
                progress.step(epoch: epoch + 1, epochs: epochs, step: step + 1, steps: steps, loss: shownLoss,
                              samplesPerSecond: Double(seen * ranks) / max(elapsed, 1e-9))
            }
            try parallel.settle()   // evaluation and the epoch's record read the parameters
            let seconds = Date().timeIntervalSince(epochStart)
            if steadyStart > 0 { steadySeconds += Double(DispatchTime.now().uptimeNanoseconds - steadyStart) / 1e9; steadyStart = 0 }
            lastLoss = try parallel.sumOverRanks([lossSum])[0] / Double(max(seen * ranks, 1))
            let mem = parallel.memory
            var record: [String: Any] = ["epoch": epoch + 1, "step": globalStep, "train_loss": lastLoss, "ranks": ranks,
                                         "zero_stage": parallel.stage, "param_bytes": mem.parameterBytes,
                                         "grad_bytes": mem.gradientBytes, "optimizer_bytes": mem.optimizerBytes,
                                         "samples_per_s": Double(seen * ranks) / seconds, "seconds": seconds]
            if let test {
                let (l, a) = try evaluate(test)
                accuracy = a
                record["test_loss"] = l
                record["test_accuracy"] = a
                onEvaluation?(globalStep, "test_accuracy", a)
            }
            metrics.append(record)
            try metrics.flush()
            progress.epochDone(epoch: epoch + 1, epochs: epochs, trainLoss: lastLoss, testAccuracy: accuracy ?? .nan,
                               samplesPerSecond: Double(seen * ranks) / seconds, seconds: seconds)
        }
        if steadyStart > 0 { steadySeconds += Double(DispatchTime.now().uptimeNanoseconds - steadyStart) / 1e9 }
        try parallel.settle()
        try setup.finish(step: globalStep, lastBegun: lastBegun, sampler: endSampler)
        let total = Date().timeIntervalSince(runStart)
        let hidden = ranks > 1 && parallel.reduceSeconds > 0 ? max(0, 1 - parallel.waitSeconds / parallel.reduceSeconds) : nil
        return TrainSummary(steps: globalStep, epochs: epochs, finalLoss: lastLoss, testAccuracy: accuracy,
                            samplesPerSecond: Double(samples) / max(total, 1e-9),
                            steadySamplesPerSecond: steadySeconds > 0 ? Double(steadySamples) / steadySeconds : nil, overlapHidden: hidden)
    }

    /// Mean loss and accuracy of the current parameters on `data`; rank r scores samples
    /// r, r+N, … and the sums are combined over ranks.
    public func evaluate(_ data: Dataset) throws -> (loss: Double, accuracy: Double) {
        let r = Evaluation.sums(model, on: data, indices: Array(stride(from: rank, to: data.count, by: ranks)))
        let sums = try parallel.sumOverRanks([r.lossSum, Double(r.correct)])
        return (sums[0] / Double(data.count), sums[1] / Double(data.count))
    }
}
