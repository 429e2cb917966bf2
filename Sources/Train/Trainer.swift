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

public final class Trainer {
    public let spec: JobSpec
    public let model: any Model
    public let train: Dataset
    public let test: Dataset?
    public let parallel: DataParallel
    public var rank: Int { parallel.rank }
    public var ranks: Int { parallel.size }
    private let options: TrainOptions
    private let loss = SoftmaxCrossEntropy()
    private let progress: Progress
    private let metrics: MetricsLog
    /// Writes checkpoints (nil when the spec has no checkpoint section and none is asked for).
    public let checkpointer: Checkpointer?
    /// Where training starts: steps done, and the epoch and samples of it consumed.
    private var start = (step: 0, epoch: 0, samples: 0)
    /// Samples per rank per step at this world size (JobSpec.batchPerRank).
    public let batch: Int
    /// The step this run starts at: 0, or the resumed checkpoint's.
    public var startStep: Int { start.step }
    /// Steps not counted in `TrainSummary.steadySamplesPerSecond`.
    public static let warmupSteps = 10
    /// Called after every optimizer step with the global step number (checks, checkpoints).
    public var afterStep: ((Int) throws -> Void)?
    /// Called at a run's first step and every 10 steps with (step, mean loss over ranks and the steps since the previous report, aggregate samples/s).
    public var onProgress: ((Int, Double, Double) -> Void)?

    /// Loads the data, builds and initialises the model and its optimizer, and (with a
    /// communicator) copies rank 0's parameters to every rank.
    /// - Parameters:
    ///   - comm: The rank's communicator, used only on `worker`; nil for one process.
    public init(spec: JobSpec, options: TrainOptions, comm: Communicator? = nil, worker: CommThread? = nil) throws {
        self.spec = spec
        self.options = options
        let size = comm?.size ?? 1, rank = comm?.rank ?? 0
        let maxRanks = spec.parallel?.ranks ?? size, minRanks = spec.parallel?.min_ranks ?? 1
        guard size >= minRanks && size <= max(maxRanks, minRanks) else {
            throw TrainError("\(size) ranks started, but the spec allows \(minRanks)…\(maxRanks) (parallel.min_ranks…parallel.ranks)")
        }
        batch = try spec.batchPerRank(worldSize: size)
        let dir = FashionMNIST.directory(override: options.dataDirectory ?? spec.data.path)
        train = try FashionMNIST.load(directory: dir, train: true)
        test = options.evaluate ? try FashionMNIST.load(directory: dir, train: false) : nil
        model = spec.makeModel()
        model.initialize(seed: spec.seed)
        let bucket = options.bucketBytes ?? Int((spec.parallel?.bucket_mb ?? 4) * 1_048_576)
        let stage = options.zeroStage ?? spec.parallel?.zero_stage ?? JobSpec.defaultZeroStage
        let format = try spec.gradientFormat(stage: stage)
        parallel = DataParallel(model: model, comm: comm, worker: worker, bucketBytes: bucket, stage: stage,
                                optimizer: spec.optimizerKind, learningRate: Float(spec.train.lr), gradientFormat: format)
        if let limit = spec.parallel?.memory_limit_mb, Double(parallel.memory.total) > limit * 1_048_576 {
            let mb = Double(parallel.memory.total) / 1_048_576
            throw TrainError(String(format: "model state needs %.1f MB per rank at ZeRO stage %d on %d rank(s), above parallel.memory_limit_mb %.1f; "
                                    + "use a higher zero_stage or more ranks", mb, parallel.stage, size, limit))
        }
        let progress = Progress(style: rank == 0 ? options.progress : .silent)
        self.progress = progress
        metrics = MetricsLog(path: rank == 0 ? options.metricsPath : nil)
        try parallel.broadcastParameters()
        let ckptDir = options.checkpointDirectory ?? spec.checkpoint?.dir ?? "checkpoints/\(spec.name)"
        if spec.checkpoint != nil || options.checkpointDirectory != nil || options.resume != nil {
            checkpointer = try Checkpointer(directory: ckptDir, job: spec.name, specText: spec.text, keep: spec.checkpoint?.keep ?? 3,
                                            parallel: parallel, optimizerName: spec.train.optimizer, log: progress.note)
        } else {
            checkpointer = nil
        }
        if let resume = options.resume, let checkpointer {
            let found: (String, Manifest)?
            do { found = try CheckpointReader.resolve(resume == "auto" ? "latest" : resume, directory: ckptDir, log: progress.note) } catch {
                if resume == "auto", case .noValidCheckpoint(_, let reasons) = error, reasons.isEmpty { found = nil } else { throw error }
            }
            if let (path, manifest) = found {
                try checkpointer.restore(try CheckpointReader.load(path, manifest: manifest))
                start = (manifest.step, manifest.sampler.epoch, manifest.sampler.position)
                progress.note("resumed from \(path): step \(manifest.step), epoch \(manifest.sampler.epoch + 1), "
                              + "written by \(manifest.world_size) rank(s) at ZeRO stage \(manifest.zero_stage)")
            }
        }
        try parallel.parametersWritten()
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
        var lastCheckpoint = Date()
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
                    let logits = model.forward(x)
                    let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch) }
                    clock.mark(0)
                    parallel.backward(r.dlogits, accumulate: m > 0, reduce: m == spec.accumulation - 1)
                    clock.mark(1)
                    lossSum += r.lossSum
                }
                try parallel.finishReduction()
                clock.mark(2)
                try parallel.step()
                clock.mark(3)
                if timed { steadySamples += batch * ranks }
                seen += batch
                samples += batch * ranks
                globalStep += 1
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
                    try checkpointer.begin(step: globalStep, sampler: .init(seed: spec.seed, epoch: epoch, position: (step + 1) * globalBatch))
                    lastCheckpoint = Date()
                }
                let elapsed = Date().timeIntervalSince(epochStart)
                progress.step(epoch: epoch + 1, epochs: epochs, step: step + 1, steps: steps, loss: shownLoss,
                              samplesPerSecond: Double(seen * ranks) / max(elapsed, 1e-9))
            }
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
            }
            metrics.append(record)
            try metrics.flush()
            progress.epochDone(epoch: epoch + 1, epochs: epochs, trainLoss: lastLoss, testAccuracy: accuracy ?? .nan,
                               samplesPerSecond: Double(seen * ranks) / seconds, seconds: seconds)
        }
        if steadyStart > 0 { steadySeconds += Double(DispatchTime.now().uptimeNanoseconds - steadyStart) / 1e9 }
        try checkpointer?.commit()
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
