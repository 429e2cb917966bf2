// Implements: PhaseClock, seconds spent per phase of the training step (forward, backward, wait
// for communication, optimizer step), for profiling a run (COHORT_PROFILE=1 prints them per rank).
import Foundation

/// Seconds per phase of the training step, summed over the timed steps.
public struct PhaseClock {
    /// The phases, in order; `mark(i)` ends phase i.
    public static let names = ["data+forward", "backward", "wait", "step"]
    /// Seconds summed per phase, indexed like `names`.
    public private(set) var seconds = [Double](repeating: 0, count: 4)
    /// Steps timed to their end (the last phase marked).
    public private(set) var steps = 0
    private var last: UInt64 = DispatchTime.now().uptimeNanoseconds
    /// Between `start()` and the mark of the last phase: marks of untimed steps count nothing.
    private var timing = false

    /// A clock at zero, not timing until `start()`.
    public init() {}

    /// Starts timing a step.
    public mutating func start() { last = DispatchTime.now().uptimeNanoseconds; timing = true }

    /// Adds the time since the previous mark to phase `i` (the last phase ends the step).
    public mutating func mark(_ i: Int) {
        guard timing else { return }
        if i == seconds.count - 1 { timing = false }
        let now = DispatchTime.now().uptimeNanoseconds
        seconds[i] += Double(now - last) / 1e9
        last = now
        if i == seconds.count - 1 { steps += 1 }
    }

    /// "data+forward 10.52 ms, backward …" per step.
    public var summary: String {
        zip(Self.names, seconds).map { String(format: "%@ %.2f ms", $0.0, $0.1 * 1000 / Double(max(steps, 1))) }.joined(separator: ", ")
    }
}
