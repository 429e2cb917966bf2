// Implements: Trainer, the training loop of one process:
//   sampler(seed, epoch) → batch → forward → loss → backward → optimizer step → metrics,
// with test-set evaluation after every epoch.
// Shapes: x (B, 1, 28, 28), logits (B, 10); B = batch_per_rank / accumulation per micro-batch.
import Data
import Foundation
import NN
import Tensor

/// Where a run reads and writes, beside its spec.
public struct TrainOptions: Sendable {
    /// Data directory overriding the spec's and the default.
    public var dataDirectory: String?
    /// JSON-lines metrics file; nil writes none.
    public var metricsPath: String?
    public var progress: Progress.Style
    /// Evaluate on the test set after each epoch.
    public var evaluate = true

    public init(dataDirectory: String? = nil, metricsPath: String? = nil, progress: Progress.Style = .silent, evaluate: Bool = true) {
        self.dataDirectory = dataDirectory
        self.metricsPath = metricsPath
        self.progress = progress
        self.evaluate = evaluate
    }
}

/// What a finished run reports.
public struct TrainSummary: Sendable {
    public var steps: Int
    public var epochs: Int
    public var finalLoss: Double
    public var testAccuracy: Double?
    public var samplesPerSecond: Double
}

public final class Trainer {
    public let spec: JobSpec
    public let model: Sequential
    public let optimizer: Optimizer
    public let train: Dataset
    public let test: Dataset?
    private let options: TrainOptions
    private let loss = SoftmaxCrossEntropy()
    private let progress: Progress
    private let metrics: MetricsLog

    /// Loads the data, builds and initialises the model and its optimizer.
    public init(spec: JobSpec, options: TrainOptions) throws {
        self.spec = spec
        self.options = options
        let dir = FashionMNIST.directory(override: options.dataDirectory ?? spec.data.path)
        train = try FashionMNIST.load(directory: dir, train: true)
        test = options.evaluate ? try FashionMNIST.load(directory: dir, train: false) : nil
        model = spec.makeModel()
        model.initialize(seed: spec.seed)
        optimizer = spec.optimizerKind.make(range: 0 ..< model.parameterCount, learningRate: Float(spec.train.lr))
        progress = Progress(style: options.progress)
        metrics = MetricsLog(path: options.metricsPath)
    }

    /// Runs every epoch (or `train.max_steps` steps) and returns the summary.
    public func run() throws -> TrainSummary {
        let batch = spec.train.batch_per_rank, micro = batch / spec.accumulation
        let sampler = DistributedSampler(count: train.count, batch: batch, seed: spec.seed, dropLast: spec.data.drop_last ?? false)
        let batcher = Batcher(dataset: train, batch: micro)
        let steps = sampler.stepsPerEpoch, epochs = spec.train.epochs
        let maxSteps = spec.train.max_steps ?? Int.max
        var globalStep = 0, lastLoss = 0.0, accuracy: Double? = nil
        let runStart = Date()
        var samples = 0
        progress.note("training \(spec.name): \(spec.model.kind), \(model.parameterCount) parameters, \(epochs) epochs × \(steps) steps of \(batch)")
        epochLoop: for epoch in 0..<epochs {
            let perm = sampler.permutation(epoch: epoch)
            let epochStart = Date()
            var lossSum = 0.0, seen = 0
            for step in 0..<steps {
                if globalStep >= maxSteps { break epochLoop }
                let indices = sampler.batchIndices(step: step, permutation: perm)
                for m in 0..<spec.accumulation {
                    let x = batcher.gather(Array(indices[(m * micro)..<((m + 1) * micro)]))
                    let logits = model.forward(x)
                    let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch) }
                    model.backward(r.dlogits, accumulate: m > 0)
                    lossSum += r.lossSum
                }
                optimizer.step(params: model.store.params.pointer, grads: model.store.grads.pointer)
                seen += batch
                samples += batch
                globalStep += 1
                let elapsed = Date().timeIntervalSince(epochStart)
                progress.step(epoch: epoch + 1, epochs: epochs, step: step + 1, steps: steps, loss: lossSum / Double(seen),
                              samplesPerSecond: Double(seen) / max(elapsed, 1e-9))
            }
            let seconds = Date().timeIntervalSince(epochStart)
            lastLoss = lossSum / Double(max(seen, 1))
            var record: [String: Any] = ["epoch": epoch + 1, "step": globalStep, "train_loss": lastLoss,
                                         "samples_per_s": Double(seen) / seconds, "seconds": seconds]
            if let test {
                let (l, a) = evaluate(test)
                accuracy = a
                record["test_loss"] = l
                record["test_accuracy"] = a
            }
            metrics.append(record)
            try metrics.flush()
            progress.epochDone(epoch: epoch + 1, epochs: epochs, trainLoss: lastLoss, testAccuracy: accuracy ?? .nan,
                               samplesPerSecond: Double(seen) / seconds, seconds: seconds)
        }
        let total = Date().timeIntervalSince(runStart)
        return TrainSummary(steps: globalStep, epochs: epochs, finalLoss: lastLoss, testAccuracy: accuracy,
                            samplesPerSecond: Double(samples) / max(total, 1e-9))
    }

    /// Mean loss and accuracy of the current parameters on `data`.
    public func evaluate(_ data: Dataset, batch: Int = 500) -> (loss: Double, accuracy: Double) {
        let batcher = Batcher(dataset: data, batch: batch)
        var lossSum = 0.0, correct = 0
        var start = 0
        while start < data.count {
            let idx = Array(start ..< min(start + batch, data.count))
            let x = batcher.gather(idx)
            let logits = model.forward(x)
            let r = batcher.labels.withUnsafeBufferPointer { SoftmaxCrossEntropy.score(logits, labels: $0.baseAddress!) }
            lossSum += r.lossSum
            correct += r.correct
            start += batch
        }
        return (lossSum / Double(data.count), Double(correct) / Double(data.count))
    }
}
