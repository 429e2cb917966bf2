// Implements: SGD with momentum and L2 weight decay, PyTorch's update rule:
//   g' = g + wd·θ;  v = μ·v + g' (v = g' on the first step);  θ -= lr·v.
import Tensor

/// SGD with optional momentum and L2 weight decay over `range` of the flat buffer.
public final class SGD: Optimizer {
    /// The range of the flat buffer this optimizer updates.
    public let range: Range<Int>
    /// Steps taken so far; the first momentum step sets v = g'.
    public var steps = 0
    /// Learning rate; the trainer may change it between steps.
    public var learningRate: Float
    /// Momentum μ (0: none) and L2 weight decay.
    public let momentum: Float, weightDecay: Float
    /// The velocity (range.count) with momentum, else empty.
    public let state: [FloatBuffer]

    /// A velocity buffer is allocated only when `momentum` is not 0.
    public init(range: Range<Int>, learningRate: Float, momentum: Float = 0, weightDecay: Float = 0) {
        self.range = range
        self.learningRate = learningRate
        self.momentum = momentum
        self.weightDecay = weightDecay
        state = momentum != 0 ? [FloatBuffer(count: range.count)] : []
    }

    /// One SGD step on params[range] from `scale` × grads[range]; increments `steps`.
    public func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, scale: Float) {
        let p = params + range.lowerBound, g = grads + range.lowerBound, n = range.count
        let lr = learningRate, wd = weightDecay, mu = momentum, s = scale
        if let v = state.first?.pointer {
            if steps == 0 {
                for i in 0..<n { let gi = g[i] * s + wd * p[i]; v[i] = gi; p[i] -= lr * gi }
            } else {
                for i in 0..<n { let gi = g[i] * s + wd * p[i]; let vi = mu * v[i] + gi; v[i] = vi; p[i] -= lr * vi }
            }
        } else {
            for i in 0..<n { p[i] -= lr * (g[i] * s + wd * p[i]) }
        }
        steps += 1
    }
}
