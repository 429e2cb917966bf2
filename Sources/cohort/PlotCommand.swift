// Implements: `cohort plot ID…`: one SVG of the jobs' loss, evaluation and throughput against step,
// with restarts marked (the steps later attempts resumed from).
import ArgumentParser
import Coordinator
import Durable
import Foundation
import Wire

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plot", abstract: "Write an SVG of jobs' loss, evaluation and throughput.",
        discussion: "Several ids draw the jobs on one chart, one colour each (cohort plot 3 4 5).")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Job ids, as printed by 'cohort submit'.") var jobs: [String]
    @Option(name: .shortAndLong, help: "Output file (default: job-ID.svg, or jobs-ID-ID….svg).") var output: String?

    func validate() throws {
        guard !jobs.isEmpty else { throw ValidationError("give at least one job id (cohort plot 3, or cohort plot 3 4 5)") }
        guard jobs.count <= 8 else { throw ValidationError("at most 8 jobs fit on one chart, got \(jobs.count)") }
    }

    func run() throws {
        let client = try cluster.client
        var series: [PlotSeries] = []
        for job in jobs {
            let info = try client.status(job)
            let points = try client.metrics(job)
            let restarts = (info.history ?? []).filter { $0.number > 1 }.compactMap(\.startStep)
            series.append(PlotSeries(job: info.id, name: info.name, points: points, restarts: restarts))
        }
        if let empty = series.first(where: { $0.points.isEmpty }) {
            throw PlotError(message: "job \(empty.job) (\(empty.name)) has no progress reports yet; nothing to plot")
        }
        let path = output ?? (jobs.count == 1 ? "job-\(jobs[0]).svg" : "jobs-\(jobs.joined(separator: "-")).svg")
        do { try AtomicFile.write(SVGPlot.render(series), to: path) } catch { throw CLIFileError(path: path, what: "the plot", error: error) }
        print("wrote \(path) (\(series.map { "job \($0.job): \($0.points.count) points" }.joined(separator: ", ")))")
    }
}

struct PlotError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
