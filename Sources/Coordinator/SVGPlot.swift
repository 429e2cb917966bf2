// Implements: SVGPlot, an SVG chart of one or more jobs against step, in stacked panels: training
// loss as reported (one line per job), the evaluation metric when there is one, and throughput
// from zero. Each panel has nice-number ticks, grid lines and an axis label with its unit; restarts
// are dashed verticals at the step each later attempt resumed from; a legend names every job.
import Foundation
import Wire

/// One job's curves for `SVGPlot`.
public struct PlotSeries: Sendable {
    public var job: String
    public var name: String
    public var points: [ProgressPoint]
    public var evaluations: [EvaluationPoint]
    /// Steps later attempts started from (a resume after a restart).
    public var restarts: [Int]
    public init(job: String, name: String, points: [ProgressPoint], evaluations: [EvaluationPoint] = [], restarts: [Int] = []) {
        self.job = job; self.name = name; self.points = Self.latestRun(points); self.evaluations = evaluations; self.restarts = restarts
    }

    /// The points of the run that counts: a resume goes back to its checkpoint's step, and the
    /// points it replays replace the earlier ones from that step on.
    public static func latestRun(_ points: [ProgressPoint]) -> [ProgressPoint] {
        var kept: [ProgressPoint] = []
        for p in points {
            while let last = kept.last, last.step >= p.step { kept.removeLast() }
            kept.append(p)
        }
        return kept
    }
}

public enum SVGPlot {
    static let colors = ["#c0392b", "#2471a3", "#1e8449", "#8e44ad", "#d35400", "#17a589", "#7f8c8d", "#b7950b"]
    static let width = 760.0, left = 74.0, right = 24.0, panelHeight = 190.0, gap = 64.0

    /// The chart of one job (its id as the name).
    public static func render(job: String, points: [ProgressPoint]) -> String {
        render([PlotSeries(job: job, name: "job \(job)", points: points)])
    }

    /// The chart of `series`, one colour per job.
    public static func render(_ series: [PlotSeries]) -> String {
        let evals = series.flatMap(\.evaluations)
        let metrics = Array(Set(evals.map(\.metric))).sorted()
        var panels: [(title: String, unit: String, zero: Bool, lines: [(Int, Int, [(Double, Double)])])] = []
        panels.append(("training loss (mean over the steps since the previous report)", "loss", false,
                       series.enumerated().map { ($0.offset, 0, $0.element.points.map { (Double($0.step), $0.loss) }) }))
        if !metrics.isEmpty {
            panels.append(("evaluation: " + metrics.joined(separator: ", "), metrics.count == 1 ? metrics[0] : "value", false,
                           series.enumerated().flatMap { i, s in
                               metrics.enumerated().map { k, m in (i, k, s.evaluations.filter { $0.metric == m }.map { (Double($0.step), $0.value) }) }
                           }))
        }
        panels.append(("throughput", "samples/s", true, series.enumerated().map { ($0.offset, 0, $0.element.points.map { (Double($0.step), $0.samplesPerS) }) }))
        let allSteps = series.flatMap { $0.points.map { Double($0.step) } + $0.evaluations.map { Double($0.step) } }
        let x0 = allSteps.min() ?? 0, x1 = max(allSteps.max() ?? 1, x0 + 1)
        let hasRestarts = series.contains { !$0.restarts.isEmpty }
        let legendRows = Double((series.count + (hasRestarts ? 1 : 0) + 2) / 3)
        let top = 56 + 18 * legendRows
        let height = top + Double(panels.count) * (panelHeight + gap)
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(width))\" height=\"\(Int(height))\" font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n"
        let title = series.count == 1 ? "\(series[0].name) (job \(series[0].job))" : "jobs " + series.map(\.job).joined(separator: ", ")
        svg += "<text x=\"\(left)\" y=\"22\" font-size=\"16\" font-weight=\"bold\">\(escape(title))</text>\n"
        svg += "<g class=\"legend\">\n"
        for (i, s) in series.enumerated() {
            let x = left + Double(i % 3) * 220, y = 40 + 18 * Double(i / 3)
            svg += "<rect x=\"\(x)\" y=\"\(y - 9)\" width=\"18\" height=\"4\" fill=\"\(colors[i % colors.count])\"/>"
            svg += "<text x=\"\(x + 24)\" y=\"\(y - 4)\">\(escape("job \(s.job): \(s.name)"))</text>\n"
        }
        if hasRestarts {  // the legend's last entry
            let i = series.count, x = left + Double(i % 3) * 220, y = 40 + 18 * Double(i / 3)
            svg += "<line x1=\"\(x)\" x2=\"\(x + 18)\" y1=\"\(y - 7)\" y2=\"\(y - 7)\" stroke=\"#555\" stroke-dasharray=\"4 3\"/><text x=\"\(x + 24)\" y=\"\(y - 4)\">restart (resumed from a checkpoint)</text>\n"
        }
        svg += "</g>\n"
        for (k, panel) in panels.enumerated() {
            let y0 = top + Double(k) * (panelHeight + gap)
            svg += drawPanel(panel.title, unit: panel.unit, zero: panel.zero, lines: panel.lines, top: y0, x0: x0, x1: x1,
                             restarts: series.enumerated().flatMap { i, s in s.restarts.map { (i, Double($0)) } })
        }
        return svg + "</svg>\n"
    }

    private static func drawPanel(_ title: String, unit: String, zero: Bool, lines: [(Int, Int, [(Double, Double)])], top: Double,
                                  x0: Double, x1: Double, restarts: [(Int, Double)]) -> String {
        let w = width - left - right, h = panelHeight
        let ys = lines.flatMap { $0.2.map(\.1) }
        var lo = ys.min() ?? 0, hi = ys.max() ?? 1
        if zero { lo = min(0, lo) }
        if hi - lo < 1e-12 { hi = lo + max(abs(lo) * 0.1, 1); if !zero { lo -= (hi - lo) / 2 } }
        let yt = niceTicks(lo, hi, count: 5), xt = niceTicks(x0, x1, count: 8)
        lo = min(lo, yt.first ?? lo); hi = max(hi, yt.last ?? hi)
        func X(_ v: Double) -> Double { left + (v - x0) / (x1 - x0) * w }
        func Y(_ v: Double) -> Double { top + h - (v - lo) / (hi - lo) * h }
        var s = "<g class=\"panel\">\n<text x=\"\(left)\" y=\"\(f(top - 8))\" font-weight=\"bold\">\(escape(title))</text>\n"
        for t in yt {
            s += "<line class=\"grid\" x1=\"\(left)\" x2=\"\(left + w)\" y1=\"\(f(Y(t)))\" y2=\"\(f(Y(t)))\" stroke=\"#e5e5e5\"/>"
            s += "<text class=\"tick\" x=\"\(left - 6)\" y=\"\(f(Y(t) + 4))\" text-anchor=\"end\">\(label(t, step: yt.count > 1 ? yt[1] - yt[0] : 1))</text>\n"
        }
        for t in xt {
            s += "<line class=\"grid\" x1=\"\(f(X(t)))\" x2=\"\(f(X(t)))\" y1=\"\(top)\" y2=\"\(top + h)\" stroke=\"#f0f0f0\"/>"
            s += "<text class=\"tick\" x=\"\(f(X(t)))\" y=\"\(f(top + h + 15))\" text-anchor=\"middle\">\(label(t, step: xt.count > 1 ? xt[1] - xt[0] : 1))</text>\n"
        }
        s += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w)\" height=\"\(h)\" fill=\"none\" stroke=\"#888\"/>\n"
        s += "<text x=\"\(f(left + w / 2))\" y=\"\(f(top + h + 32))\" text-anchor=\"middle\">step</text>\n"
        s += "<text x=\"16\" y=\"\(f(top + h / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 16 \(f(top + h / 2)))\">\(escape(unit))</text>\n"
        for (i, step) in restarts where step >= x0 && step <= x1 {
            s += "<line class=\"restart\" x1=\"\(f(X(step)))\" x2=\"\(f(X(step)))\" y1=\"\(top)\" y2=\"\(top + h)\" stroke=\"\(colors[i % colors.count])\" stroke-dasharray=\"4 3\"/>\n"
        }
        if ys.isEmpty { s += "<text x=\"\(f(left + w / 2))\" y=\"\(f(top + h / 2))\" text-anchor=\"middle\" fill=\"#888\">no data</text>\n" }
        for (i, k, pts) in lines where !pts.isEmpty {
            let color = colors[i % colors.count]
            let dash = k == 0 ? "" : " stroke-dasharray=\"\(["6 2", "2 2", "8 3 2 3"][(k - 1) % 3])\""
            s += "<polyline class=\"series\" data-job=\"\(i)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.6\"\(dash) points=\"\(pts.map { "\(f(X($0.0))),\(f(Y($0.1)))" }.joined(separator: " "))\"/>\n"
            if pts.count <= 40 { for p in pts { s += "<circle cx=\"\(f(X(p.0)))\" cy=\"\(f(Y(p.1)))\" r=\"2\" fill=\"\(color)\"/>" }; s += "\n" }
        }
        return s + "</g>\n"
    }

    /// Ticks at 1, 2 or 5 × 10^k covering lo…hi, about `count` of them.
    public static func niceTicks(_ lo: Double, _ hi: Double, count: Int) -> [Double] {
        let span = hi - lo, raw = span / Double(max(1, count))
        guard span > 0, raw.isFinite else { return [lo] }
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw * 0.999 } ?? 10 * mag
        var out: [Double] = [], t = (lo / step).rounded(.down) * step
        while t <= hi + step * 0.5 && out.count < 50 { if t >= lo - step * 1e-9 { out.append(t) }; t += step }
        if let last = out.last, last < hi - step * 1e-9 { out.append(last + step) }
        return out
    }

    /// A tick label with as many decimals as the tick step needs, thousands grouped with a thin space.
    public static func label(_ v: Double, step: Double) -> String {
        let decimals = max(0, min(6, Int(-floor(log10(step)))))
        if decimals == 0 && abs(v) >= 10_000 {
            let n = Int(v.rounded()), digits = String(abs(n))
            var g = ""
            for (i, c) in digits.reversed().enumerated() { if i > 0 && i % 3 == 0 { g = "\u{2009}" + g }; g = String(c) + g }
            return (n < 0 ? "−" : "") + g
        }
        return String(format: "%.\(decimals)f", abs(v) < step * 1e-9 ? 0 : v)
    }

    static func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
