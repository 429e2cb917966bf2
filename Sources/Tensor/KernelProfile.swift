// Implements: KernelProfile, wall time (and sgemm FLOPs) per kernel call site, for finding where
// a training step's time goes (`COHORT_PROFILE=1 cohort bench compute --model gpt`). Off by
// default: then `time` is one load and branch around the body, and the site's name (an
// autoclosure) is never built.
import Dispatch

/// Seconds, calls and FLOPs per named call site, summed since the last `reset`.
public enum KernelProfile {
    /// What one site has cost so far.
    public struct Site: Sendable {
        /// Wall seconds inside the site, its calls, and the FLOPs it was charged (0 for non-sgemm).
        public var seconds = 0.0, calls = 0, flops = 0.0
    }

    /// Whether `time` records anything. Set once by the program before the work to profile.
    public nonisolated(unsafe) static var enabled = false
    /// Sites in the order they were first seen.
    public nonisolated(unsafe) private(set) static var order: [String] = []
    public nonisolated(unsafe) private(set) static var sites: [String: Site] = [:]

    /// Runs `body`, charging its wall time (and `flops`) to `name` when enabled.
    @inline(__always)
    public static func time<R>(_ name: @autoclosure () -> String, flops: @autoclosure () -> Double = 0, _ body: () -> R) -> R {
        guard enabled else { return body() }
        let t0 = DispatchTime.now().uptimeNanoseconds
        let r = body()
        record(name(), seconds: Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9, flops: flops())
        return r
    }

    /// The FLOPs of an (m, n, k) matrix product: 2·m·n·k.
    @inline(__always)
    public static func gemm(_ m: Int, _ n: Int, _ k: Int) -> Double { 2 * Double(m) * Double(n) * Double(k) }

    static func record(_ name: String, seconds: Double, flops: Double) {
        if sites[name] == nil { order.append(name) }
        sites[name, default: Site()].seconds += seconds
        sites[name, default: Site()].calls += 1
        sites[name, default: Site()].flops += flops
    }

    /// Forgets everything recorded (after a warm-up).
    public static func reset() { order = []; sites = [:] }
}
