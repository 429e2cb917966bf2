// Tests: `SVGPlot`'s chart is one a person can read: a title with the job's name, ticks and grid
// lines with units, a legend entry and one line per job in each panel, the evaluation panel when
// there are results, throughput from zero, restarts marked, and names escaped.
import Coordinator
import Foundation
import Wire
import XCTest

final class PlotTests: XCTestCase {
    func points(_ n: Int, loss: Double, rate: Double) -> [ProgressPoint] {
        (1 ... n).map { ProgressPoint(step: $0 * 10, loss: loss / Double($0), samplesPerS: rate + Double($0 % 3) * 50, at: Double($0)) }
    }

    func count(_ s: String, _ needle: String) -> Int { s.components(separatedBy: needle).count - 1 }

    func testThreeJobsOnOneChart() throws {
        let evals = [EvaluationPoint(step: 118, metric: "test_accuracy", value: 0.84), EvaluationPoint(step: 236, metric: "test_accuracy", value: 0.86)]
        let svg = SVGPlot.render([
            PlotSeries(job: "3", name: "fashion-mlp", points: points(24, loss: 2.3, rate: 9000), evaluations: evals, restarts: [120]),
            PlotSeries(job: "4", name: "fashion <cnn>", points: points(20, loss: 2.1, rate: 4000), evaluations: evals),
            PlotSeries(job: "5", name: "mlp-wide", points: points(12, loss: 2.4, rate: 12000)),
        ])
        XCTAssertTrue(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>\n"))
        XCTAssertTrue(svg.contains(">jobs 3, 4, 5</text>"), svg)
        // Legend: one entry per job, with its name (escaped).
        XCTAssertTrue(svg.contains(">job 3: fashion-mlp</text>") && svg.contains(">job 4: fashion &lt;cnn&gt;</text>") && svg.contains(">job 5: mlp-wide</text>"), svg)
        XCTAssertFalse(svg.contains("<cnn>"))
        XCTAssertTrue(svg.contains(">restart (resumed from a checkpoint)</text>"), "legend entry for restarts")
        // Panels: loss (3 lines), evaluation (2 jobs have results), throughput (3 lines).
        XCTAssertEqual(count(svg, "<g class=\"panel\">"), 3)
        XCTAssertEqual(count(svg, "<polyline class=\"series\""), 8)
        XCTAssertTrue(svg.contains("evaluation: test_accuracy"), svg)
        XCTAssertTrue(svg.contains(">samples/s</text>") && svg.contains(">loss</text>") && svg.contains(">step</text>"), "axis units")
        XCTAssertGreaterThanOrEqual(count(svg, "class=\"tick\""), 3 * 8)
        XCTAssertGreaterThanOrEqual(count(svg, "class=\"grid\""), 3 * 8)
        XCTAssertEqual(count(svg, "class=\"restart\""), 3, "job 3's restart, in each panel")
        // Throughput starts at zero, and no tick label is in e-notation.
        let throughput: String = try XCTUnwrap(svg.components(separatedBy: "<g class=\"panel\">").last)
        XCTAssertTrue(throughput.contains("text-anchor=\"end\">0</text>"), throughput)
        XCTAssertNil(svg.range(of: #">[-0-9.]+e[-+]?[0-9]+<"#, options: String.CompareOptions.regularExpression), "e-notation in a label")
        // Everything is drawn inside the canvas.
        let height = try XCTUnwrap(Double(svg.components(separatedBy: "height=\"")[1].prefix { $0 != "\"" }))
        let re = try NSRegularExpression(pattern: #" y="([0-9.]+)""#)
        for m in re.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)) {
            XCTAssertLessThan(Double(svg[Range(m.range(at: 1), in: svg)!])!, height, "drawn below the canvas")
        }
    }

    func testOneJobTitleAndTicks() {
        let svg = SVGPlot.render([PlotSeries(job: "7", name: "gpt-small", points: points(30, loss: 4, rate: 800))])
        XCTAssertTrue(svg.contains(">gpt-small (job 7)</text>"), svg)
        XCTAssertEqual(count(svg, "<g class=\"panel\">"), 2, "no evaluation panel without results")
        XCTAssertEqual(SVGPlot.niceTicks(0, 236, count: 8), [0, 50, 100, 150, 200, 250])
        XCTAssertEqual(SVGPlot.niceTicks(0.38, 2.29, count: 5), [0.5, 1.0, 1.5, 2.0, 2.5])
        XCTAssertEqual(SVGPlot.label(12000, step: 2000), "12\u{2009}000")
        XCTAssertEqual(SVGPlot.label(0.25, step: 0.05), "0.25")
    }
}

final class PlotResumeTests: XCTestCase {
    /// A resume replays steps from its checkpoint: the replayed points replace the earlier ones.
    func testAResumeReplacesTheReplayedPoints() {
        let pts = [10, 20, 30, 20, 30, 40].map { ProgressPoint(step: $0, loss: 1, samplesPerS: 1, at: 0) }
        XCTAssertEqual(PlotSeries(job: "1", name: "x", points: pts, restarts: [20]).points.map(\.step), [10, 20, 30, 40])
    }
}
