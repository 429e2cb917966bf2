// Implements: `cohort agent`, one node's agent in the foreground until SIGINT/SIGTERM.
import ArgumentParser
import Coordinator
import Foundation
import Wire

struct AgentCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "agent", abstract: "Run this node's agent.")
    @Option(help: "Coordinator endpoint.") var coordinator = WireProtocol.defaultEndpoint
    @Option(help: "Node name (default: the host name).") var name: String?
    @Option(help: "Address mpirun reaches this node at.") var address = "127.0.0.1"
    @Option(help: "Rank slots this node offers.") var slots = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var curve: CurveOptions

    func validate() throws {
        guard slots >= 0 && slots <= 4096 else { throw ValidationError("--slots must be in 0…4096, got \(slots)") }
    }

    func run() throws {
        let agent = Agent(name: name ?? ProcessInfo.processInfo.hostName, address: address, slots: slots, coordinator: coordinator,
                          curve: try curve.load())
        agent.start()
        print("agent \(agent.name) (\(address), \(slots) slots) reporting to \(coordinator)")
        fflush(stdout)
        waitForSignal()
        agent.stop()
    }
}
