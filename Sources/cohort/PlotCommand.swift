// Implements: `cohort plot ID`.
import ArgumentParser
import Coordinator
import Durable

struct PlotCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plot", abstract: "Write an SVG of a job's loss and throughput.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Job id, as printed by 'cohort submit'.") var job: String
    @Option(name: .shortAndLong, help: "Output file (default: job-ID.svg).") var output: String?

    func run() throws {
        let points = try cluster.client.metrics(job)
        let path = output ?? "job-\(job).svg"
        try AtomicFile.write(SVGPlot.render(job: job, points: points), to: path)
        print("wrote \(path) (\(points.count) points)")
    }
}
