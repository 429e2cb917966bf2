// Implements: what the trainer builds from a JobSpec: the model of its kind and its optimizer.
import Collectives
import NN
@_exported import Spec

extension JobSpec {
    /// The optimizer the spec names, with its hyper-parameters.
    public var optimizerKind: OptimizerKind {
        let wd = Float(train.weight_decay ?? 0)
        let b1 = Float(train.betas?[0] ?? 0.9), b2 = Float(train.betas?[1] ?? 0.999), eps = Float(train.eps ?? 1e-8)
        switch train.optimizer {
        case "sgd": return .sgd(momentum: Float(train.momentum ?? 0), weightDecay: wd)
        case "adamw": return .adam(beta1: b1, beta2: b2, eps: eps, weightDecay: train.weight_decay.map(Float.init) ?? 0.01, decoupled: true)
        default: return .adam(beta1: b1, beta2: b2, eps: eps, weightDecay: wd, decoupled: false)
        }
    }

    /// The GPT shape a gpt spec gives (nil for other kinds).
    public var gptConfig: GPTConfig? {
        guard model.kind == "gpt", let l = model.layers, let h = model.heads, let d = model.dim, let t = model.context else { return nil }
        return GPTConfig(layers: l, heads: h, dim: d, context: t)
    }

    /// A new model of the kind the spec names (parameters zero until initialised). `validate`
    /// has refused every shape GPT's init would.
    public func makeModel() -> any NN.Model {
        switch model.kind {
        case "gpt":
            do { return try GPT(gptConfig!) } catch { preconditionFailure("a validated spec's gpt: \(error)") }
        case "cnn":
            let c = model.channels ?? [32, 64]
            return Models.cnn(channels: (c[0], c[1]), hidden: model.hidden?.first ?? 256)
        default:
            return Models.mlp(hidden: model.hidden ?? [1024, 1024])
        }
    }

    /// What gradients are on the links between nodes at ZeRO `stage` (parallel.grad_dtype; any stage).
    func gradientFormat(stage: Int) throws(SpecError) -> WireFormat {
        WireFormat(rawValue: parallel?.grad_dtype ?? "fp32") ?? .fp32
    }
}
