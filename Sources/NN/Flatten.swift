// Implements: Flatten, (B, C, H, W) → (B, C·H·W) as a view; no copy either way.
import Tensor

/// Flattens each sample to one dimension, as a view.
public final class Flatten: Layer {
    private var inputShape: [Int] = []

    /// A flatten layer; it has no parameters.
    public init() {}

    /// The product of the per-sample input dimensions, as one dimension.
    public func outputShape(for input: [Int]) -> [Int] { [input.reduce(1, *)] }

    /// y (B, C·H·W) = x (B, C, H, W) reshaped; no copy.
    public func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        return x.reshaped([x.rows, x.cols])
    }

    /// dx = dy reshaped to the last input's shape, or nil when not `needed`.
    public func inputGradient(_ dy: Tensor, needed: Bool) -> Tensor? {
        needed ? dy.reshaped(inputShape) : nil
    }
}
