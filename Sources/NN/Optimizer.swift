// Implements: the Optimizer protocol: an update rule over one contiguous range of the flat
// parameter buffer; it holds state for that range only, so a caller that steps only part of
// the buffer (a shard) holds state for that part only.

import Tensor
/// An update rule over one contiguous range of the flat parameter buffer.
public protocol Optimizer: AnyObject {
    /// The range of the flat buffer this optimizer updates and holds state for.
    var range: Range<Int> { get }
    /// Steps taken so far (Adam's bias correction uses it).
    var steps: Int { get set }
    /// Learning rate; the trainer may change it between steps.
    var learningRate: Float { get set }
    /// State buffers, each `range.count` long (Adam: m, v; SGD with momentum: velocity).
    var state: [FloatBuffer] { get }
    /// Updates params[range] from `scale` × grads[range]. Both pointers address element 0 of the
    /// whole flat buffer. `scale` is gradient clipping's factor; 1 changes no bit.
    func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, scale: Float)
}

/// Conveniences over the Optimizer requirements.
public extension Optimizer {
    /// Updates params[range] from grads[range].
    func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>) {
        step(params: params, grads: grads, scale: 1)
    }

    /// Bytes of optimizer state held (memory accounting).
    var stateBytes: Int { state.reduce(0) { $0 + $1.count * 4 } }
}

/// What a job spec may name, with its hyper-parameters.
public enum OptimizerKind: Sendable, Equatable {
    /// SGD with momentum μ (0: none) and L2 weight decay.
    case sgd(momentum: Float, weightDecay: Float)
    /// Adam with L2 weight decay, or AdamW when `decoupled`.
    case adam(beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool)

    /// The same rule with weight decay 0 (for tensors exempt from it, e.g. biases and norms).
    public var withoutWeightDecay: OptimizerKind {
        switch self {
        case let .sgd(momentum, _): return .sgd(momentum: momentum, weightDecay: 0)
        case let .adam(b1, b2, eps, _, decoupled): return .adam(beta1: b1, beta2: b2, eps: eps, weightDecay: 0, decoupled: decoupled)
        }
    }

    /// A new optimizer of this kind over `range`.
    public func make(range: Range<Int>, learningRate: Float) -> Optimizer {
        switch self {
        case let .sgd(momentum, wd):
            return SGD(range: range, learningRate: learningRate, momentum: momentum, weightDecay: wd)
        case let .adam(b1, b2, eps, wd, decoupled):
            return Adam(range: range, learningRate: learningRate, beta1: b1, beta2: b2, eps: eps,
                        weightDecay: wd, decoupled: decoupled)
        }
    }
}
