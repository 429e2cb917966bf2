// Implements: softmax cross-entropy fused with its gradient, and accuracy counting.
// Shapes: logits (B, K), labels (B) class indices in 0..<K; dlogits (B, K).
import Tensor

/// Loss and gradient of mean cross-entropy over a batch.
public final class SoftmaxCrossEntropy {
    private var grad = Workspace()

    /// A loss with its own gradient buffer.
    public init() {}

    /// Result of one batch.
    public struct Result {
        /// Σ over the batch of −log softmax(logits)[label] (divide by B for the mean).
        public var lossSum: Double
        /// Samples whose largest logit is the label.
        public var correct: Int
        /// dL/dlogits for L = lossSum / `denominator`.
        public var dlogits: Tensor
    }

    /// Softmax, loss and gradient in one pass per row.
    /// - Parameters:
    ///   - logits: (B, K).
    ///   - labels: B class indices; each must be in 0..<K (checked by the data loader).
    ///   - denominator: the gradient is of lossSum / denominator; B for a plain mean.
    public func evaluate(_ logits: Tensor, labels: UnsafePointer<Int32>, denominator: Int) -> Result {
        let bsz = logits.rows, k = logits.cols
        let d = grad.view(rows: bsz, [k])
        let lp = logits.pointer, dp = d.pointer, inv = 1 / Float(denominator)
        var loss = 0.0, correct = 0
        for r in 0..<bsz {
            let row = lp + r * k, drow = dp + r * k, label = Int(labels[r])
            var mx = row[0], arg = 0
            for j in 1..<k where row[j] > mx { mx = row[j]; arg = j }
            var s: Float = 0
            for j in 0..<k { let e = expf(row[j] - mx); drow[j] = e; s += e }
            let invS = 1 / s
            for j in 0..<k { drow[j] *= invS * inv }
            drow[label] -= inv
            loss += Double(mx - row[label]) + Double(logf(s))
            if arg == label { correct += 1 }
        }
        return Result(lossSum: loss, correct: correct, dlogits: d)
    }

    /// Loss sum and correct count only (evaluation; no gradient).
    public static func score(_ logits: Tensor, labels: UnsafePointer<Int32>) -> (lossSum: Double, correct: Int) {
        let bsz = logits.rows, k = logits.cols, lp = logits.pointer
        var loss = 0.0, correct = 0
        for r in 0..<bsz {
            let row = lp + r * k, label = Int(labels[r])
            var mx = row[0], arg = 0
            for j in 1..<k where row[j] > mx { mx = row[j]; arg = j }
            var s: Float = 0
            for j in 0..<k { s += expf(row[j] - mx) }
            loss += Double(mx - row[label]) + Double(logf(s))
            if arg == label { correct += 1 }
        }
        return (loss, correct)
    }
}

import Foundation
