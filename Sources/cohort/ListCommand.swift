// Implements: `cohort list [--state S]`.
import ArgumentParser
import Coordinator
import Wire

extension JobState: ExpressibleByArgument {
    /// Any case: running, Running and RUNNING are the same state.
    public init?(argument: String) { self.init(rawValue: argument.uppercased()) }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List jobs, newest first.")
    @OptionGroup var cluster: ClusterOptions
    @Option(help: "Only jobs in this state (PENDING, RUNNING, SUCCEEDED, …).") var state: JobState?

    func run() throws {
        let jobs = try cluster.client.list(state: state)
        print(cluster.json ? TableFormat.json(jobs) : TableFormat.jobs(jobs))
    }
}
