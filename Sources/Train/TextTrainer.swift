// Implements: TextTrainer, the training loop of one rank for a language model on bytes:
//   (seed, step) → the step's global_batch windows → this rank's slice → forward → cross-entropy
//   over every position → backward with overlapped reduction → (clip) → AdamW at the scheduled lr,
// for train.steps steps, with the validation loss over fixed windows every train.eval_every steps
// and at the end. Rank 0 alone prints and writes.
// Shapes: tokens (B, T), logits (B·T, 256), labels (B·T); B = windows per micro-batch, T = context.
import Checkpoint
import Collectives
import Data
import Foundation
import NN
import Parallel
import Tensor

/// The training loop of one rank for a GPT on bytes, by steps.
public final class TextTrainer: TrainingRun {
    /// The job spec the run follows.
    public let spec: JobSpec
    /// The language model being trained.
    public let gpt: GPT
    /// The same GPT, as a Model.
    public var model: any Model { gpt }
    /// The bytes to train on, split into training and validation.
    public let corpus: TextCorpus
    private let setup: TrainingSetup
    /// This rank's data-parallel state: reduction, ZeRO shards, optimizer.
    public var parallel: DataParallel { setup.parallel }
    /// Writes checkpoints (nil when the spec has no checkpoint section and none is asked for).
    public var checkpointer: Checkpointer? { setup.checkpointer }
    /// This process's rank.
    public var rank: Int { parallel.rank }
    /// The number of ranks.
    public var ranks: Int { parallel.size }
    /// Windows per rank per step.
    public let batch: Int
    /// The step this run starts at: 0, or the resumed checkpoint's.
    public private(set) var startStep = 0
    /// Called after every optimizer step with the global step number (checks, checkpoints).
    public var afterStep: ((Int) throws -> Void)?
    /// Called at the run's first step, every 10 steps and the last with (step, loss averaged over ranks, aggregate samples/s).
    public var onProgress: ((Int, Double, Double) -> Void)?
    /// Called on rank 0 with (step, validation loss) at each evaluation.
    public var onValidation: ((Int, Double) -> Void)?
    private let options: TrainOptions
    private var progress: Progress { setup.progress }
    private var metrics: MetricsLog { setup.metrics }
    private let loss = SoftmaxCrossEntropy()
    private let context: Int

    /// Loads the corpus, builds and initialises the GPT and its optimizer, and resumes as asked (TrainingSetup).
    /// - Throws: for a spec that does not fit the world size, unreadable data, a bad GPT shape, or a checkpoint of another model.
    public init(spec: JobSpec, options: TrainOptions, comm: Communicator? = nil, worker: CommThread? = nil) throws {
        self.spec = spec
        self.options = options
        try TrainingSetup.checkWorldSize(spec, size: comm?.size ?? 1)
        batch = try spec.batchPerRank(worldSize: comm?.size ?? 1)
        let cfg = spec.gptConfig!
        context = cfg.context
        corpus = try TextTrainer.loadCorpus(spec, options)
        try corpus.check(context: context)
        gpt = try GPT(cfg)
        try TrainingSetup.initializeParameters(gpt, spec: spec)
        let layout = gpt.store.layout.entries
        setup = try TrainingSetup(spec: spec, options: options, model: gpt, comm: comm, worker: worker,
                                  learningRate: Float(spec.learningRate(atStep: 0)), clipNorm: spec.train.clip_norm.map(Float.init),
                                  noDecay: { !GPT.decays($0) }) { path, manifest in
            guard manifest.layout == layout else { throw TrainError("checkpoint \(path) holds another model's parameters than this spec's gpt") }
        }
        if let (path, manifest) = setup.resumed {
            startStep = manifest.step
            progress.note("resumed from \(path): step \(manifest.step), written by \(manifest.world_size) rank(s) at ZeRO stage \(manifest.zero_stage)")
        }
    }

    /// The bytes to train on: the spec's data (kind shakespeare, text or tokens; JobSpec+Data.swift).
    static func loadCorpus(_ spec: JobSpec, _ options: TrainOptions) throws -> TextCorpus {
        try spec.textCorpus(directory: options.dataDirectory)
    }

    /// Trains from `startStep` to train.steps (or train.max_steps) and returns the summary.
    public func run() throws -> TrainSummary {
        let steps = min(spec.train.steps ?? 1, spec.train.max_steps ?? Int.max), micro = batch / spec.accumulation
        let sampler = WindowSampler(seed: spec.seed, window: context + 1, trainCount: corpus.trainCount)
        let batcher = TextBatcher(corpus: corpus, batch: micro, context: context)
        let evalEvery = spec.train.eval_every ?? Int.max, everySteps = spec.checkpoint?.every_steps
        let everySeconds = spec.checkpoint?.every_seconds
        var lastCheckpoint = Date(), lastBegun = setup.resumed?.manifest.step, lossSum = 0.0, shown = 0.0, seen = 0, validation: Double? = nil
        let runStart = Date()
        var windowStart = Date(), windowSeen = 0, steadyStart: Date?, steadySamples = 0, steadySeconds = 0.0
        var clock = PhaseClock(), sched: (start: SchedStat, end: SchedStat)?
        defer {
            if ProcessInfo.processInfo.environment["COHORT_PROFILE"] == "1" {
                let cores = sched.map { "; " + $0.end.summary(since: $0.start, steps: steps - startStep - Trainer.warmupSteps) } ?? ""
                FileHandle.standardError.write(Data("rank \(rank) per step: \(clock.summary)\(cores)\n".utf8))
            }
        }
        progress.note("training \(spec.name): gpt \(gpt.config.layers)×\(gpt.config.dim), \(gpt.parameterCount) parameters, \(ranks) rank(s), "
                      + "ZeRO \(parallel.stage), \(steps) steps of \(batch) window(s) of \(context)\(ranks > 1 ? " per rank" : "")")
        for step in startStep..<max(steps, startStep) {
            if step == startStep + Trainer.warmupSteps { steadyStart = Date(); parallel.resetTimers(); sched = (.now(), .now()) }
            parallel.setLearningRate(Float(spec.learningRate(atStep: step)))
            if steadyStart != nil { clock.start() }
            let mine = sampler.starts(step: step, rank * batch ..< (rank + 1) * batch)
            for m in 0..<spec.accumulation {
                let x = batcher.gather(Array(mine[(m * micro)..<((m + 1) * micro)]))
                let logits = gpt.forward(x)
                let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch * context) }
                clock.mark(0)
                parallel.backward(r.dlogits, accumulate: m > 0, reduce: m == spec.accumulation - 1)
                clock.mark(1)
                lossSum += r.lossSum
            }
            try parallel.finishReduction()
            clock.mark(2)
            try parallel.step()   // with clip_norm: the global norm's small collective, then AdamW
            clock.mark(3)
            seen += batch; windowSeen += batch * ranks
            if steadyStart != nil { steadySamples += batch * ranks }
            let done = step + 1
            try afterStep?(done)
            try checkpointer?.commitIfDue(step: done)
            var checkpointDue = everySteps.map { done % $0 == 0 } ?? false
            if done % 10 == 0 || done == steps || done == startStep + 1 {
                let timeDue = rank == 0 && everySeconds.map { Date().timeIntervalSince(lastCheckpoint) >= $0 } ?? false
                let sums = try parallel.sumOverRanks([lossSum, timeDue ? 1 : 0])
                shown = sums[0] / Double(seen * ranks * context)
                if sums[1] > 0 { checkpointDue = true }
                let rate = Double(windowSeen) / max(Date().timeIntervalSince(windowStart), 1e-9)
                onProgress?(done, shown, rate)
                progress.step(epoch: 1, epochs: 1, step: done, steps: steps, loss: shown, samplesPerSecond: rate)
                metrics.append(["step": done, "train_loss": shown, "lr": spec.learningRate(atStep: step), "ranks": ranks,
                                "grad_norm": parallel.gradientNorm,
                                "tokens_per_s": rate * Double(context)])
                lossSum = 0; seen = 0; windowSeen = 0; windowStart = Date()
            }
            if checkpointDue, let checkpointer {
                try checkpointer.begin(step: done, sampler: samplerState(after: done))
                lastCheckpoint = Date(); lastBegun = done
            }
            if let t0 = steadyStart, done == steps { steadySeconds = Date().timeIntervalSince(t0); sched?.end = .now() }
            if done % evalEvery == 0 || done == steps {
                let evalStart = Date()
                defer { if steadyStart != nil, done != steps { steadyStart! += Date().timeIntervalSince(evalStart) } }
                let v = try validationLoss()
                validation = v
                if rank == 0 {
                    progress.note(String(format: "step %d: validation loss %.4f", done, v))
                    metrics.append(["step": done, "validation_loss": v])
                    try metrics.flush()
                    onValidation?(done, v)
                }
                windowStart = Date()
            }
        }
        if validation == nil { validation = try validationLoss() }
        let end = max(steps, startStep)
        try setup.finish(step: end, lastBegun: lastBegun, sampler: samplerState(after: end))
        try metrics.flush()
        let total = Date().timeIntervalSince(runStart)
        let steady = steadySeconds > 0 ? steadySeconds : nil
        let hidden = ranks > 1 && parallel.reduceSeconds > 0 ? max(0, 1 - parallel.waitSeconds / parallel.reduceSeconds) : nil
        return TrainSummary(steps: max(steps, startStep), epochs: 0, finalLoss: shown, testAccuracy: nil,
                            samplesPerSecond: Double((max(steps, startStep) - startStep) * batch * ranks) / max(total, 1e-9),
                            steadySamplesPerSecond: steady.map { Double(steadySamples) / $0 }, overlapHidden: hidden,
                            validationLoss: validation)
    }

    /// Where the window draws stand after `step` steps (text has one "epoch"; the draws are by step).
    func samplerState(after step: Int) -> Manifest.Sampler { .init(seed: spec.seed, epoch: 0, position: step * batch * ranks) }

    /// Mean cross-entropy per byte over the fixed validation windows (data.eval_windows, default
    /// 256), split over ranks (rank r scores windows r, r+N, …) and summed.
    public func validationLoss() throws -> Double {
        let starts = WindowSampler.validationStarts(corpus: corpus, window: context + 1, count: spec.data.eval_windows ?? 256)
        let mine = Array(stride(from: rank, to: starts.count, by: ranks).map { starts[$0] })
        let chunk = 16, batcher = TextBatcher(corpus: corpus, batch: chunk, context: context)
        var sum = 0.0, i = 0
        while i < mine.count {
            let x = batcher.gather(Array(mine[i ..< min(i + chunk, mine.count)]))
            let logits = gpt.forward(x)
            sum += batcher.labels.withUnsafeBufferPointer { SoftmaxCrossEntropy.score(logits, labels: $0.baseAddress!).lossSum }
            i += chunk
        }
        return try parallel.sumOverRanks([sum])[0] / Double(starts.count * context)
    }
}
