// Implements: Evaluation, forward-only scoring of a model on (part of) a data set.
import Data
import NN

/// Forward-only scoring of a model on a data set: mean cross-entropy and accuracy.
public enum Evaluation {
    /// Loss sum and correct count over the samples `indices`, in batches of `batch`.
    public static func sums(_ model: any Model, on data: Dataset, indices: [Int], batch: Int = 500) -> (lossSum: Double, correct: Int) {
        let batcher = Batcher(dataset: data, batch: batch)
        var lossSum = 0.0, correct = 0, start = 0
        while start < indices.count {
            let x = batcher.gather(Array(indices[start ..< min(start + batch, indices.count)]))
            let logits = model.forward(x)
            let r = batcher.labels.withUnsafeBufferPointer { SoftmaxCrossEntropy.score(logits, labels: $0.baseAddress!) }
            lossSum += r.lossSum
            correct += r.correct
            start += batch
        }
        return (lossSum, correct)
    }

    /// Mean loss and accuracy over all of `data`.
    public static func score(_ model: any Model, on data: Dataset) -> (loss: Double, accuracy: Double) {
        let r = sums(model, on: data, indices: Array(0..<data.count))
        return (r.lossSum / Double(data.count), Double(r.correct) / Double(data.count))
    }
}
