// Implements: the kernel table of `COHORT_PROFILE=1 cohort bench compute --model gpt`: per call
// site (KernelProfile) its ms per step, share of the step, and for sgemm sites GFLOP/s and the
// ratio to the 1024³ reference measured in the same process. Written to stderr, after the JSON.
import Foundation
import Tensor

enum BenchComputeProfile {
    /// Whether this run profiles its kernels (COHORT_PROFILE=1).
    static var requested: Bool { ProcessInfo.processInfo.environment["COHORT_PROFILE"] == "1" }

    /// The table over `steps` profiled steps of `stepSeconds` wall seconds each, against `sgemm` GFLOP/s.
    static func report(steps: Int, stepSeconds: Double, sgemm: Double) {
        let sites = KernelProfile.order.map { ($0, KernelProfile.sites[$0]!) }
        let perStep = { (s: Double) in s * 1000 / Double(steps) }
        var gemmSeconds = 0.0, gemmFlops = 0.0, other = 0.0
        benchNote(String(format: "kernel profile, ms per step (step %.2f ms), reference sgemm %.1f GFLOP/s:", stepSeconds * 1000, sgemm))
        for (name, s) in sites.sorted(by: { $0.1.seconds > $1.1.seconds }) {
            var line = String(format: "  %7.3f ms %5.1f%%  %6.1f calls  ", perStep(s.seconds), 100 * perStep(s.seconds) / (stepSeconds * 1000),
                              Double(s.calls) / Double(steps)) + name
            if s.flops > 0 {
                let g = s.flops / s.seconds / 1e9
                line += String(format: "   %.1f GFLOP/s = %.2f of ref", g, g / sgemm)
                gemmSeconds += s.seconds; gemmFlops += s.flops
            } else { other += s.seconds }
            benchNote(line)
        }
        let g = gemmFlops / max(gemmSeconds, 1e-12) / 1e9
        benchNote(String(format: "  sgemm sites %.2f ms (%.1f%%) at %.1f GFLOP/s = %.2f of ref; other timed kernels %.2f ms (%.1f%%); untimed %.2f ms",
                         perStep(gemmSeconds), 100 * perStep(gemmSeconds) / (stepSeconds * 1000), g, g / sgemm,
                         perStep(other), 100 * perStep(other) / (stepSeconds * 1000), stepSeconds * 1000 - perStep(gemmSeconds + other)))
    }
}
