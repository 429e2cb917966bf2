// Implements: `cohort cancel ID`.
import ArgumentParser
import Coordinator

struct CancelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a pending or running job.")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Job id, as printed by 'cohort submit'.") var job: String

    func run() throws {
        let j = try cluster.client.cancel(job)
        print(cluster.json ? TableFormat.json(j) : "job \(j.id): \(j.state.isTerminal ? j.state.rawValue : "cancelling (ranks are being killed)")")
    }
}
