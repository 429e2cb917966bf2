// Implements: `cohort bench compute --model gpt`: training steps of workload G (benchmark.md) on
// one process, timed by ComputeTiming against a 1024³ sgemm in the same process with the same
// thread count (and, with --vs-pytorch, against launch/pytorch/gpt_g.py in the same run).
//   one step = forward + cross-entropy + backward + global-norm clip + AdamW, B = 8 windows of T = 128
//   model FLOPs per token = 6·Ψ + 12·L·T·d  (G's convention: attention's QKᵀ and AV, fwd + bwd)
//   model_gflops = that × tokens/s;  mfu = model_gflops / sgemm_gflops
import Data
import Foundation
import NN
import Parallel
import Tensor

enum BenchComputeGPT {
    static func run(batch: Int, steps: Int, rounds: Int, warmup: Int, data: String?, peer: PyTorchPeer?) throws {
        let cfg = GPTConfig(layers: 4, heads: 4, dim: 256, context: 128)
        let t = cfg.context, net = try GPT(cfg)
        net.initialize(seed: 1)
        let real = try? TextCorpus.shakespeare(override: data), corpus = real ?? syntheticCorpus()
        // The training path of one rank: AdamW on ≥2-D weights, clipping inside DataParallel.step.
        let parallel = DataParallel(model: net, comm: nil, worker: nil, bucketBytes: 4 << 20,
                                    optimizer: .adam(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, decoupled: true),
                                    learningRate: 1e-3, clipNorm: 1, noDecay: { !GPT.decays($0) })
        let loss = SoftmaxCrossEntropy()
        let batcher = TextBatcher(corpus: corpus, batch: batch, context: t)
        let sampler = WindowSampler(seed: 7, window: t + 1, trainCount: corpus.trainCount)
        let laps = PhaseLaps(["data", "forward", "loss", "backward", "clip+optimizer"])
        var lastLoss = 0.0
        func step(_ s: Int) {
            laps.start()
            let x = batcher.gather(sampler.starts(step: s, 0 ..< batch))
            laps.lap(0)
            let logits = net.forward(x)
            laps.lap(1)
            let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch * t) }
            lastLoss = r.lossSum / Double(batch * t)
            laps.lap(2)
            parallel.backward(r.dlogits, accumulate: false, reduce: true)
            laps.lap(3)
            try! parallel.step()   // one process: no collective that could fail
            laps.lap(4)
        }
        benchNote("bench compute: gpt (workload G), Ψ = \(net.parameterCount), batch \(batch)×\(t), core \(BLASCore.activeCoreName), \(BLASCore.threads) thread(s)")
        step(0)
        // Check before timing: at initialisation every byte is about equally likely (loss ≈ ln 256).
        guard abs(lastLoss - log(256.0)) < 0.3 else { throw TrainErrorLine("bench compute --model gpt: initial loss \(lastLoss), expected ≈ \(log(256.0))") }
        let firstLoss = lastLoss
        for s in 1..<max(warmup, 1) { step(s) }
        laps.reset()
        KernelProfile.enabled = BenchComputeProfile.requested
        KernelProfile.reset()
        let flopsPerToken = 6 * Double(net.parameterCount) + 12 * Double(cfg.layers * t * cfg.dim)
        let m = try ComputeTiming.measure(steps: steps, rounds: rounds, firstStep: warmup, samplesPerStep: batch,
                                          flopsPerSample: flopsPerToken * Double(t), peer: peer, step: step)
        guard lastLoss.isFinite, real == nil || lastLoss < firstLoss - (warmup + steps >= 10 ? 0.5 : 0) else { throw TrainErrorLine("bench compute --model gpt: loss \(lastLoss) after \(warmup + steps) steps did not fall") }
        ComputeTiming.emit(m, laps: laps, fields: ["model": "gpt", "batch": batch, "context": t, "params": net.parameterCount],
                           tokensPerSample: t, note: String(format: "; loss %.3f", lastLoss))
        if KernelProfile.enabled { BenchComputeProfile.report(steps: m.timedSteps, stepSeconds: m.seconds / Double(m.timedSteps), sgemm: m.sgemm) }
    }

    /// Random bytes of the corpus's length, when the corpus is not cached (speed does not depend on the text).
    static func syntheticCorpus() -> TextCorpus {
        benchNote("note: Shakespeare corpus not cached ('make data'); timing on random bytes")
        var rng = RNG(seed: 11)
        return TextCorpus(bytes: (0..<TextCorpus.shakespeareBytes).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
    }
}

/// A benchmark whose result is wrong: one line, no timing printed.
struct TrainErrorLine: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
