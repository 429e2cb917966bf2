// Implements: the timing shared by every `cohort bench compute` model: per-phase laps of a step,
// rounds that alternate a 1024³ sgemm (and, with --vs-pytorch, PyTorch's same workload) with
// training steps, and the JSON lines built from them.
//   model_gflops = flopsPerSample × samples/s;  mfu = model_gflops / sgemm_gflops (median round)
//   vs_pytorch = Cohort's samples/s / PyTorch's, each the median over rounds of the same run
import Foundation
import Tensor

/// Seconds per phase of a training step, summed over the steps since the last `reset`.
final class PhaseLaps {
    let names: [String]
    private(set) var seconds: [Double]
    private var clock = DispatchTime.now().uptimeNanoseconds

    init(_ names: [String]) { self.names = names; seconds = [Double](repeating: 0, count: names.count) }

    func start() { clock = DispatchTime.now().uptimeNanoseconds }

    /// Charges the time since the last lap (or `start`) to phase i.
    func lap(_ i: Int) {
        let now = DispatchTime.now().uptimeNanoseconds
        seconds[i] += Double(now - clock) / 1e9
        clock = now
    }

    func reset() { seconds = [Double](repeating: 0, count: names.count) }

    /// "data 0.11 ms, forward 2.3 ms, …" per step over `steps` steps.
    func summary(steps: Int) -> String {
        zip(names, seconds).map { String(format: "%@ %.2f ms", $0.0, $0.1 * 1000 / Double(steps)) }.joined(separator: ", ")
    }
}

/// What one compute benchmark measured.
struct ComputeMeasurement {
    var timedSteps = 0, seconds = 0.0
    var ratios: [Double] = [], sgemms: [Double] = []
    /// PyTorch's seconds for the same steps per round, when it ran.
    var peerSeconds: [Double] = [], roundSeconds: [Double] = []
    var samplesPerStep = 0, flopsPerSample = 0.0

    var samplesPerSecond: Double { Double(timedSteps * samplesPerStep) / seconds }
    var modelGFLOPS: Double { flopsPerSample * samplesPerSecond / 1e9 }
    var sgemm: Double { median(sgemms) }
    var mfu: Double { median(ratios) }
    /// Cohort's speed over PyTorch's: the median of the per-round ratios (both saw the same load).
    var vsPeer: Double? { peerSeconds.isEmpty ? nil : median(zip(peerSeconds, roundSeconds).map { $0.0 / $0.1 }) }
    var peerSamplesPerSecond: Double? {
        peerSeconds.isEmpty ? nil : Double(timedSteps * samplesPerStep) / peerSeconds.reduce(0, +)
    }

    func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
}

enum ComputeTiming {
    /// Times `steps` steps in `rounds` rounds. Each round: a 1024³ sgemm, steps/rounds calls of
    /// `step` (numbered from `firstStep`), then the same number of PyTorch steps if `peer` is given.
    /// The machine is shared and noisy: ratios are taken per round, so both sides saw the same load.
    static func measure(steps: Int, rounds: Int, firstStep: Int, samplesPerStep: Int, flopsPerSample: Double,
                        peer: PyTorchPeer?, step: (Int) -> Void) throws -> ComputeMeasurement {
        var m = ComputeMeasurement(samplesPerStep: samplesPerStep, flopsPerSample: flopsPerSample)
        let perRound = max(1, steps / rounds), ref = SgemmReference()
        for r in 0..<rounds {
            let g = ref.gflops()
            let t0 = DispatchTime.now().uptimeNanoseconds
            for s in 0..<perRound { step(firstStep + r * perRound + s) }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            m.seconds += dt
            m.roundSeconds.append(dt)
            m.sgemms.append(g)
            m.ratios.append(flopsPerSample * Double(perRound * samplesPerStep) / dt / 1e9 / g)
            if let peer { m.peerSeconds.append(try peer.round(steps: perRound)) }
        }
        m.timedSteps = perRound * rounds
        return m
    }

    /// Writes the phase and round notes to stderr and the benchmark's JSON line(s) to stdout:
    /// Cohort's line (`fields` plus the measured keys), then PyTorch's with the ratio if it ran.
    static func emit(_ m: ComputeMeasurement, laps: PhaseLaps, fields: [String: Any], tokensPerSample: Int? = nil, note: String = "") {
        benchNote("per step: " + laps.summary(steps: m.timedSteps))
        benchNote("mfu per round: " + m.ratios.map { String(format: "%.3f", $0) }.joined(separator: " ") + note)
        var line = fields
        line["bench"] = "compute"; line["steps"] = m.timedSteps; line["rounds"] = m.ratios.count
        line["samples_per_s"] = m.samplesPerSecond; line["model_gflops"] = m.modelGFLOPS
        line["sgemm_gflops"] = m.sgemm; line["mfu"] = m.mfu
        line["blas_core"] = BLASCore.activeCoreName; line["threads"] = BLASCore.threads
        if let k = tokensPerSample { line["tokens_per_s"] = m.samplesPerSecond * Double(k) }
        if let ratio = m.vsPeer { line["vs_pytorch"] = ratio }
        emitJSONLine(line)
        guard let peerRate = m.peerSamplesPerSecond, let ratio = m.vsPeer else { return }
        var peer: [String: Any] = ["bench": "compute", "impl": "pytorch", "model": fields["model"] ?? "", "steps": m.timedSteps,
                                   "samples_per_s": peerRate, "model_gflops": m.flopsPerSample * peerRate / 1e9,
                                   "cohort_over_pytorch": ratio, "threads": 1]
        if let k = tokensPerSample { peer["tokens_per_s"] = peerRate * Double(k) }
        benchNote("per round, PyTorch s / Cohort s: " + zip(m.peerSeconds, m.roundSeconds).map { String(format: "%.3f", $0.0 / $0.1) }.joined(separator: " "))
        emitJSONLine(peer)
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
