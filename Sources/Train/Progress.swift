// Implements: the progress display of a training run: a live bar redrawn in place on a
// terminal, plain lines (one per epoch and every few seconds) when stderr is a file or pipe.
import Foundation

/// The progress display of a training run, on stderr.
public final class Progress {
    /// A bar redrawn in place (terminals), plain lines (files and pipes), or nothing.
    public enum Style: Sendable { case bar, lines, silent }
    /// How this display draws.
    public let style: Style
    private var lastLine = Date.distantPast
    /// The first step seen (across epochs) and when: the rate behind the ETA, resumed runs included.
    private var first: (step: Int, at: Date)?

    /// `.bar` when stderr is a terminal, `.lines` otherwise.
    public static var automatic: Style { isatty(2) != 0 ? .bar : .lines }

    /// Seconds between redraws of a bar: 0.1 on a terminal, 0.5 into a log that a follower relays
    /// (`cohort run`, `logs --follow`), which keeps such logs small.
    private let barInterval: Double

    /// A display drawing in `style`.
    public init(style: Style) {
        self.style = style
        barInterval = isatty(2) != 0 ? 0.1 : 0.5
    }

    /// Whether the next `step` call would draw (a bar every `barInterval`, a line every 5 s); callers compute figures that cost a collective only then.
    public var due: Bool {
        switch style {
        case .silent: return false
        case .bar: return Date().timeIntervalSince(lastLine) >= barInterval
        case .lines: return Date().timeIntervalSince(lastLine) >= 5
        }
    }

    /// One update within an epoch; draws only when `due`.
    public func step(epoch: Int, epochs: Int, step: Int, steps: Int, loss: Double, samplesPerSecond: Double) {
        let now = Date(), done = (epoch - 1) * steps + step, total = epochs * steps
        if first == nil { first = (done, now) }
        guard due else { return }
        lastLine = now
        let eta = Self.eta(done: done, total: total, since: first!, now: now)
        switch style {
        case .silent: return
        case .bar:
            let width = 30, filled = steps > 0 ? width * step / steps : width
            let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
            write("\r\u{1B}[2Kepoch \(epoch)/\(epochs) \(bar) \(step)/\(steps)  loss \(fmt(loss, 4))  \(Int(samplesPerSecond)) samples/s  ETA \(eta)")
        case .lines:
            write("epoch \(epoch)/\(epochs) step \(step)/\(steps) loss \(fmt(loss, 4)) \(Int(samplesPerSecond)) samples/s ETA \(eta)\n")
        }
    }

    /// The end of an epoch, with its evaluation.
    public func epochDone(epoch: Int, epochs: Int, trainLoss: Double, testAccuracy: Double, samplesPerSecond: Double, seconds: Double) {
        guard style != .silent else { return }
        let prefix = style == .bar ? "\r\u{1B}[2K" : ""
        write("\(prefix)epoch \(epoch)/\(epochs)  loss \(fmt(trainLoss, 4))  test accuracy \(fmt(testAccuracy, 4))  \(Int(samplesPerSecond)) samples/s  \(fmt(seconds, 1)) s\n")
    }

    /// Any other message, on its own line.
    public func note(_ text: String) {
        guard style != .silent else { return }
        write((style == .bar ? "\r\u{1B}[2K" : "") + text + "\n")
    }

    /// Time left at the rate since `since`, as m:ss or h:mm:ss; "--:--" before a rate exists.
    public static func eta(done: Int, total: Int, since: (step: Int, at: Date), now: Date) -> String {
        let seconds = now.timeIntervalSince(since.at)
        guard done > since.step, seconds > 0 else { return "--:--" }
        return duration(Double(max(0, total - done)) * seconds / Double(done - since.step))
    }

    /// `seconds` as m:ss, or h:mm:ss from an hour on.
    public static func duration(_ seconds: Double) -> String {
        let t = Int(seconds.rounded()), h = t / 3600, m = t / 60 % 60, s = t % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    private func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}

/// `x` with `digits` decimals.
func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
