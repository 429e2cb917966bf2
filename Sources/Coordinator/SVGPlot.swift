// Implements: SVGPlot, an SVG of a job's loss and throughput against step (two stacked panels),
// from the progress reports the coordinator stored.
import Foundation
import Wire

public enum SVGPlot {
    /// A 640×480 SVG document; an empty series draws empty panels with a note.
    public static func render(job: String, points: [ProgressPoint]) -> String {
        let w = 640.0, ph = 200.0, left = 60.0, right = 20.0
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(Int(w))\" height=\"480\" font-family=\"sans-serif\" font-size=\"12\">\n"
        svg += "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n<text x=\"\(left)\" y=\"20\">job \(job): \(points.count) progress reports</text>\n"
        func panel(_ title: String, top: Double, _ ys: [Double], color: String) {
            svg += "<text x=\"\(left)\" y=\"\(top - 6)\">\(title)</text>\n"
            svg += "<rect x=\"\(left)\" y=\"\(top)\" width=\"\(w - left - right)\" height=\"\(ph)\" fill=\"none\" stroke=\"#888\"/>\n"
            guard let lo = ys.min(), let hi = ys.max(), let s0 = points.first?.step, let s1 = points.last?.step else { return }
            let span = hi - lo == 0 ? 1 : hi - lo, steps = Double(max(1, s1 - s0))
            let pts = zip(points, ys).map { p, y in
                String(format: "%.1f,%.1f", left + Double(p.step - s0) / steps * (w - left - right), top + ph - (y - lo) / span * ph)
            }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" points=\"\(pts.joined(separator: " "))\"/>\n"
            svg += String(format: "<text x=\"4\" y=\"%.0f\">%.3g</text><text x=\"4\" y=\"%.0f\">%.3g</text>\n", top + 12, hi, top + ph, lo)
            svg += "<text x=\"\(left)\" y=\"\(top + ph + 14)\">step \(s0)</text><text x=\"\(w - right - 60)\" y=\"\(top + ph + 14)\">step \(s1)</text>\n"
        }
        panel("loss", top: 40, points.map(\.loss), color: "#c0392b")
        panel("samples/s", top: 270, points.map(\.samplesPerS), color: "#2471a3")
        return svg + "</svg>\n"
    }
}
