// Implements: Flatten, (B, C, H, W) → (B, C·H·W) as a view; no copy either way.
import Tensor

public final class Flatten: Layer {
    private var inputShape: [Int] = []

    public init() {}

    public func outputShape(for input: [Int]) -> [Int] { [input.reduce(1, *)] }

    public func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        return x.reshaped([x.rows, x.cols])
    }

    public func inputGradient(_ dy: Tensor, needed: Bool) -> Tensor? {
        needed ? dy.reshaped(inputShape) : nil
    }
}
