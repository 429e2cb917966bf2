// Implements: `cohort bench compute`: training steps of workload W on one process, against a
// 1024³ sgemm measured in the same process with the same thread count (ComputeTiming), and with
// --vs-pytorch against PyTorch's same workload in the same run (PyTorchPeer).
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
    @Option(help: "Timed steps (after the warm-up steps).") var steps = 200
    @Option(help: "Warm-up steps before timing, also PyTorch's with --vs-pytorch (default 20; gpt: 10).") var warmup: Int?
    @Option(help: "Rounds of steps/rounds training steps with a 1024³ sgemm every 0.25 s between them; mfu is the median round's ratio.") var rounds = 5
    @Option(help: "Directory of the Fashion-MNIST IDX files (gpt: the corpus file).") var data: String?
    @Flag(name: .customLong("vs-pytorch"), help: "Also time PyTorch's same workload (launch/pytorch/), alternating rounds, and print its line with the ratio.") var vsPytorch = false
    @Option(help: "The Python with torch that --vs-pytorch runs.") var python = "/usr/bin/python3"

    func validate() throws {
        guard ["mlp", "cnn", "gpt"].contains(model) else { throw ValidationError("--model must be mlp, cnn or gpt, got '\(model)'") }
        if let batch, batch < 1 { throw ValidationError("--batch must be at least 1, got \(batch)") }
        if let warmup, warmup < 1 { throw ValidationError("--warmup must be at least 1, got \(warmup)") }
        guard steps > 0 else { throw ValidationError("--steps must be at least 1, got \(steps)") }
        guard rounds > 0 && rounds <= steps else { throw ValidationError("--rounds must be in 1…steps, got \(rounds)") }
        if vsPytorch && (model == "cnn" || (batch.map { $0 != (model == "gpt" ? 8 : 256) } ?? false)) {
            throw ValidationError("--vs-pytorch times workload W (--model mlp, batch 256) or G (--model gpt, batch 8)")
        }
    }

    func run() throws {
        let warm = warmup ?? (model == "gpt" ? 10 : 20)
        let peer = vsPytorch ? try PyTorchPeer(python: python, script: model == "gpt" ? "gpt_g.py" : "mlp_w.py",
                                               extra: ["--warmup", "\(warm)"] + (model == "gpt" ? data.map { ["--data", $0] } ?? [] : [])) : nil
        if model == "gpt" { return try BenchComputeGPT.run(batch: batch ?? 8, steps: steps, rounds: rounds, warmup: warm, data: data, peer: peer) }
        let batch = self.batch ?? 256
        let train = try FashionMNIST.load(directory: FashionMNIST.directory(override: data), train: true)
        let net = model == "cnn" ? Models.cnn() : Models.mlp(hidden: [1024, 1024])
        net.initialize(seed: 1)
        let opt = Adam(range: 0 ..< net.parameterCount, learningRate: 1e-3)
        let loss = SoftmaxCrossEntropy()
        let batcher = Batcher(dataset: train, batch: batch)
        var rng = RNG(seed: 7)
        let perm = rng.permutation(train.count)
        let laps = PhaseLaps(["data", "forward", "loss", "backward", "optimizer"])
        func step(_ s: Int) {
            laps.start()
            let idx = (0..<batch).map { perm[(s * batch + $0) % train.count] }
            let x = batcher.gather(idx)
            laps.lap(0)
            let logits = net.forward(x)
            laps.lap(1)
            let r = batcher.labels.withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: batch) }
            laps.lap(2)
            net.backward(r.dlogits)
            laps.lap(3)
            opt.step(params: net.store.params.pointer, grads: net.store.grads.pointer)
            laps.lap(4)
        }
        benchNote("bench compute: \(model), Ψ = \(net.parameterCount), batch \(batch), core \(BLASCore.activeCoreName), \(BLASCore.threads) thread(s)")
        for s in 0..<warm { step(s) }
        laps.reset()
        let m = try ComputeTiming.measure(steps: steps, rounds: rounds, firstStep: warm, samplesPerStep: batch,
                                          flopsPerSample: 6 * Double(net.parameterCount), peer: peer, step: step)
        ComputeTiming.emit(m, laps: laps, fields: ["model": model, "batch": batch, "params": net.parameterCount])
    }
}
