// Implements: `cohort bench compute`: training steps of workload W on one process, against a
// 1024³ sgemm measured in the same process with the same thread count.
//   model_gflops = 6·Ψ·samples/s  (2 forward + 4 backward FLOPs per parameter per sample)
//   mfu = model_gflops / sgemm_gflops
import ArgumentParser
import Data
import Foundation
import NN
import Tensor

struct BenchCompute: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compute", abstract: "Time training steps of one process against sgemm.")

    @Option(help: "Model: mlp (784-1024-1024-10), cnn, or gpt (workload G; --batch is then windows, default 8).") var model = "mlp"
    @Option(help: "Batch size (default 256; gpt: 8).") var batch: Int?
    @Option(help: "Timed steps (after 20 warm-up steps).") var steps = 200
    @Option(help: "Rounds alternating a 1024³ sgemm and steps/rounds training steps; mfu is the median round's ratio.") var rounds = 5
    @Option(help: "Directory of the Fashion-MNIST IDX files.") var data: String?

    func validate() throws {
        guard ["mlp", "cnn", "gpt"].contains(model) else { throw ValidationError("--model must be mlp, cnn or gpt, got '\(model)'") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        guard steps > 0 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard rounds > 0 && rounds <= steps else { throw ValidationError("--rounds must be in 1…steps, got \(rounds)") }
    }

    func run() throws {
        if model == "gpt" { return try BenchComputeGPT.run(batch: batch ?? 8, steps: steps, rounds: rounds, data: data) }
        let batch = self.batch ?? 256
        let train = try FashionMNIST.load(directory: FashionMNIST.directory(override: data), train: true)
        let net = model == "cnn" ? Models.cnn() : Models.mlp(hidden: [1024, 1024])
        net.initialize(seed: 1)
        let opt = Adam(range: 0 ..< net.parameterCount, learningRate: 1e-3)
        let loss = SoftmaxCrossEntropy()
        let batcher = Batcher(dataset: train, batch: batch)
        var rng = RNG(seed: 7)
        let perm = rng.permutation(train.count)
        // Seconds per phase (data, forward, loss, backward, optimizer) over the timed steps, to stderr.
        var phases = [Double](repeating: 0, count: 5)
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap(_ i: Int) {
            let now = DispatchTime.now().uptimeNanoseconds
            phases[i] += Double(now - clock) / 1e9
            clock = now
        }
        func step(_ s: Int) {
            clock = DispatchTime.now().uptimeNanoseconds
            let idx = (0..<batch).map { perm[(s * batch + $0) % train.count] }
            let x = batcher.gather(idx)
            lap(0)
            let logits = net.forward(x)
            lap(1)
            let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch) }
            lap(2)
            net.backward(r.dlogits)
            lap(3)
            opt.step(params: net.store.params.pointer, grads: net.store.grads.pointer)
            lap(4)
        }
        benchNote("bench compute: \(model), Ψ = \(net.parameterCount), batch \(batch), core \(BLASCore.activeCoreName), \(BLASCore.threads) thread(s)")
        for s in 0..<20 { step(s) }
        phases = [Double](repeating: 0, count: 5)
        // The machine is shared and noisy: alternate sgemm and training in `rounds` rounds and take
        // the median of the per-round ratios, so that both sides of each ratio saw the same load.
        let perRound = max(1, steps / rounds)
        var ratios: [Double] = [], sgemms: [Double] = [], seconds = 0.0
        let ref = SgemmReference()
        for r in 0..<rounds {
            let g = ref.gflops()
            let t0 = DispatchTime.now().uptimeNanoseconds
            for s in 0..<perRound { step(20 + r * perRound + s) }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            seconds += dt
            sgemms.append(g)
            ratios.append(6 * Double(net.parameterCount) * Double(perRound * batch) / dt / 1e9 / g)
        }
        let timedSteps = perRound * rounds
        let samplesPerSecond = Double(timedSteps * batch) / seconds
        let modelGFLOPS = 6 * Double(net.parameterCount) * samplesPerSecond / 1e9
        let sgemm = sgemms.sorted()[sgemms.count / 2], mfu = ratios.sorted()[ratios.count / 2]
        let names = ["data", "forward", "loss", "backward", "optimizer"]
        benchNote("per step: " + zip(names, phases).map { String(format: "%@ %.2f ms", $0.0, $0.1 * 1000 / Double(timedSteps)) }.joined(separator: ", "))
        benchNote("mfu per round: " + ratios.map { String(format: "%.3f", $0) }.joined(separator: " "))
        emitJSONLine(["bench": "compute", "model": model, "batch": batch, "steps": timedSteps, "params": net.parameterCount,
                      "samples_per_s": samplesPerSecond, "model_gflops": modelGFLOPS, "sgemm_gflops": sgemm,
                      "mfu": mfu, "rounds": rounds, "blas_core": BLASCore.activeCoreName, "threads": BLASCore.threads])
    }
}

/// The reference of mfu: a square 1024³ sgemm (C = A·B) on buffers made once.
final class SgemmReference {
    let n: Int
    let a: Tensor, b: Tensor, c: Tensor

    init(n: Int = 1024) {
        self.n = n
        a = Tensor(zeros: [n, n]); b = Tensor(zeros: [n, n]); c = Tensor(zeros: [n, n])
        var rng = RNG(seed: 3)
        for i in 0..<a.count { a[i] = rng.uniform(-1, 1); b[i] = rng.uniform(-1, 1) }
        matmul(a, .none, b, .none, into: c)
    }

    /// GFLOP/s of `repeats` sgemms, 2n³ FLOPs each.
    func gflops(repeats: Int = 4) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<repeats { matmul(a, .none, b, .none, into: c) }
        let s = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        return 2 * Double(n * n * n) * Double(repeats) / s / 1e9
    }
}
