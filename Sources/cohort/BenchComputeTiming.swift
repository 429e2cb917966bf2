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
    /// Times `steps` steps in `rounds` rounds. Each round: steps/rounds calls of `step` (numbered
    /// from `firstStep`) with a 1024³ sgemm before the first and then before any step that starts
    /// `referenceEvery` seconds after the last one, then the same number of PyTorch steps if `peer`
    /// is given. This host's speed drifts by a third within seconds (the reference alone reads
    /// 104–152 GFLOP/s minutes apart), so the reference is sampled all through the round rather
    /// than once before it: the round's mfu is its steps' rate over its references' rate, both
    /// taken over the same seconds. Ratios are taken per round, so both sides saw the same load.
    static func measure(steps: Int, rounds: Int, firstStep: Int, samplesPerStep: Int, flopsPerSample: Double,
                        referenceEvery: Double = 0.25, peer: PyTorchPeer?, step: (Int) -> Void) throws -> ComputeMeasurement {
        var m = ComputeMeasurement(samplesPerStep: samplesPerStep, flopsPerSample: flopsPerSample)
        let perRound = max(1, steps / rounds), ref = SgemmReference()
        let now = { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        for r in 0..<rounds {
            var stepSeconds = 0.0, refSeconds = 0.0, refCalls = 0, lastRef = -Double.infinity
            for s in 0..<perRound {
                if now() - lastRef >= referenceEvery {
                    refSeconds += ref.seconds(); refCalls += 1
                    lastRef = now()
                }
                let t0 = now()
                step(firstStep + r * perRound + s)
                stepSeconds += now() - t0
            }
            let g = ref.flops * Double(refCalls) / refSeconds / 1e9
            m.seconds += stepSeconds
            m.roundSeconds.append(stepSeconds)
            m.sgemms.append(g)
            m.ratios.append(flopsPerSample * Double(perRound * samplesPerStep) / stepSeconds / 1e9 / g)
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

    /// FLOPs of one product.
    var flops: Double { 2 * Double(n * n * n) }

    /// Seconds of one product.
    func seconds() -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        matmul(a, .none, b, .none, into: c)
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// GFLOP/s of `repeats` products.
    func gflops(repeats: Int = 4) -> Double {
        var s = 0.0
        for _ in 0..<repeats { s += seconds() }
        return flops * Double(repeats) / s / 1e9
    }
}
