// Implements: what the trainer builds from a JobSpec: the model of its kind and its optimizer.
import NN
@_exported import Spec

extension JobSpec {
    /// The optimizer the spec names, with its hyper-parameters.
    public var optimizerKind: OptimizerKind {
        let wd = Float(train.weight_decay ?? 0)
        switch train.optimizer {
        case "sgd": return .sgd(momentum: Float(train.momentum ?? 0), weightDecay: wd)
        case "adamw": return .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: train.weight_decay.map(Float.init) ?? 0.01, decoupled: true)
        default: return .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: wd, decoupled: false)
        }
    }

    /// A new model of the kind the spec names (parameters zero until initialised).
    public func makeModel() -> any NN.Model {
        switch model.kind {
        case "cnn":
            let c = model.channels ?? [32, 64]
            return Models.cnn(channels: (c[0], c[1]), hidden: model.hidden?.first ?? 256)
        default:
            return Models.mlp(hidden: model.hidden ?? [1024, 1024])
        }
    }
}
