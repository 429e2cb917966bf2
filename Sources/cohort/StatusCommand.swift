// Implements: `cohort status ID`.
import ArgumentParser
import Coordinator

struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show one job's state, reason and progress.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Job id, as printed by 'cohort submit'.") var job: String

    func run() throws {
        let j = try cluster.client.status(job)
        print(cluster.json ? TableFormat.json(j) : TableFormat.status(j))
    }
}
