// Implements: `cohort nodes`.
import ArgumentParser
import Coordinator

struct NodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nodes", abstract: "List the nodes agents have registered.")
    @OptionGroup var cluster: ClusterOptions

    func run() throws {
        let n = try cluster.client.nodes()
        print(cluster.json ? TableFormat.json(n) : TableFormat.nodes(n))
    }
}
