// Implements: ReLU as a layer of its own (after convolutions; Linear fuses it instead).
// Shapes: any (B, …); output has the input's shape.
import Tensor

/// max(x, 0) as its own layer; no parameters.
public final class ReLU: Layer {
    private var out = Workspace(), output = Tensor(zeros: [0])

    /// A ReLU layer.
    public init() {}

    /// The input shape, unchanged.
    public func outputShape(for input: [Int]) -> [Int] { input }

    /// y = max(x, 0).
    public func forward(_ x: Tensor) -> Tensor {
        output = out.view(rows: x.rows, Array(x.shape.dropFirst()))
        let xp = x.pointer, yp = output.pointer
        for i in 0..<x.count { yp[i] = max(xp[i], 0) }
        return output
    }

    /// dx = dy · (y > 0), computed in place in dy's buffer.
    public func inputGradient(_ dy: Tensor, needed: Bool) -> Tensor? {
        guard needed else { return nil }
        reluMask(dy, output: output)
        return dy
    }
}
