// Implements: `cohort bench compute --model gpt`: training steps of workload G (benchmark.md) on
// one process, against a 1024³ sgemm measured in the same process with the same thread count.
//   one step = forward + cross-entropy + backward + global-norm clip + AdamW, B = 8 windows of T = 128
//   model FLOPs per token = 6·Ψ + 12·L·T·d  (G's convention: attention's QKᵀ and AV, fwd + bwd)
//   model_gflops = that × tokens/s;  mfu = model_gflops / sgemm_gflops
import Data
import Foundation
import NN
import Parallel
import Tensor

enum BenchComputeGPT {
    static func run(batch: Int, steps: Int, rounds: Int, data: String?) throws {
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
        var phases = [Double](repeating: 0, count: 5)
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap(_ i: Int) {
            let now = DispatchTime.now().uptimeNanoseconds
            phases[i] += Double(now - clock) / 1e9
            clock = now
        }
        var lastLoss = 0.0
        func step(_ s: Int) {
            clock = DispatchTime.now().uptimeNanoseconds
            let x = batcher.gather(sampler.starts(step: s, 0 ..< batch))
            lap(0)
            let logits = net.forward(x)
            lap(1)
            let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch * t) }
            lastLoss = r.lossSum / Double(batch * t)
            lap(2)
            parallel.backward(r.dlogits, accumulate: false, reduce: true)
            lap(3)
            try! parallel.step()   // one process: no collective that could fail
            lap(4)
        }
        benchNote("bench compute: gpt (workload G), Ψ = \(net.parameterCount), batch \(batch)×\(t), core \(BLASCore.activeCoreName), \(BLASCore.threads) thread(s)")
        step(0)
        // Check before timing: at initialisation every byte is about equally likely (loss ≈ ln 256).
        guard abs(lastLoss - log(256.0)) < 0.3 else { throw TrainErrorLine("bench compute --model gpt: initial loss \(lastLoss), expected ≈ \(log(256.0))") }
        for s in 1..<10 { step(s) }
        phases = [Double](repeating: 0, count: 5)
        let perRound = max(1, steps / rounds)
        var ratios: [Double] = [], sgemms: [Double] = [], seconds = 0.0
        let ref = SgemmReference()
        let flopsPerToken = 6 * Double(net.parameterCount) + 12 * Double(cfg.layers * t * cfg.dim)
        for r in 0..<rounds {
            let g = ref.gflops()
            let t0 = DispatchTime.now().uptimeNanoseconds
            for s in 0..<perRound { step(10 + r * perRound + s) }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            seconds += dt
            sgemms.append(g)
            ratios.append(flopsPerToken * Double(perRound * batch * t) / dt / 1e9 / g)
        }
        guard lastLoss.isFinite, real == nil || lastLoss < log(256.0) - 0.5 else { throw TrainErrorLine("bench compute --model gpt: loss \(lastLoss) after \(10 + steps) steps did not fall") }
        let timed = perRound * rounds, tokensPerSecond = Double(timed * batch * t) / seconds
        let sgemm = sgemms.sorted()[sgemms.count / 2], mfu = ratios.sorted()[ratios.count / 2]
        let names = ["data", "forward", "loss", "backward", "clip+optimizer"]
        benchNote("per step: " + zip(names, phases).map { String(format: "%@ %.2f ms", $0.0, $0.1 * 1000 / Double(timed)) }.joined(separator: ", "))
        benchNote("mfu per round: " + ratios.map { String(format: "%.3f", $0) }.joined(separator: " ") + String(format: "; loss %.3f", lastLoss))
        emitJSONLine(["bench": "compute", "model": "gpt", "batch": batch, "context": t, "steps": timed, "params": net.parameterCount,
                      "tokens_per_s": tokensPerSecond, "samples_per_s": tokensPerSecond / Double(t),
                      "model_gflops": flopsPerToken * tokensPerSecond / 1e9, "sgemm_gflops": sgemm, "mfu": mfu, "rounds": rounds,
                      "blas_core": BLASCore.activeCoreName, "threads": BLASCore.threads])
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
