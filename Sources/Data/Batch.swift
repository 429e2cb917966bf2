// Implements: Batcher, gathering a batch of samples (by index) into one contiguous tensor.
// Shapes: x (B, sample…), labels (B).
import Tensor

/// Gathers samples of a Dataset by index into one reused batch tensor and label array.
public final class Batcher {
    /// The data set samples are copied from.
    public let dataset: Dataset
    /// (batch, sample…), reused by every `gather`.
    public let x: Tensor
    /// (batch) labels of the last `gather`; the leading indices.count are valid.
    public private(set) var labels: [Int32]

    /// Buffers for up to `batch` samples of `dataset`.
    public init(dataset: Dataset, batch: Int) {
        self.dataset = dataset
        x = Tensor(zeros: [batch] + dataset.sampleShape)
        labels = [Int32](repeating: 0, count: batch)
    }

    /// Copies samples `indices` into x's leading rows; returns the (indices.count, sample…) view.
    public func gather(_ indices: [Int]) -> Tensor {
        let per = dataset.images.cols, src = dataset.images.pointer, dst = x.pointer
        for (r, i) in indices.enumerated() {
            (dst + r * per).update(from: src + i * per, count: per)
            labels[r] = dataset.labels[i]
        }
        return x.rows(0 ..< indices.count)
    }
}
