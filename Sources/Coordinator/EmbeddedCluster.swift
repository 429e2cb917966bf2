// Implements: EmbeddedCluster, a coordinator and one local agent inside this process with a
// temporary state directory and a free loopback port: what `cohort run -n N` stands on.
import Foundation
import Wire

public final class EmbeddedCluster {
    public let coordinator: Coordinator
    public let agent: Agent
    public let stateDir: String
    let keepState: Bool
    public var endpoint: String { coordinator.endpoint }

    /// Starts both and waits (up to 5 s) until the agent's node is live.
    /// - Parameters:
    ///   - slots: rank slots of the local node.
    ///   - workerProgram: what ranks run (default: this executable).
    ///   - keepState: keep the temporary state directory (database, logs) after `stop()`.
    /// - Throws: `ConfigError`, `StoreError`, `WireError`, or `ClientError.unreachable` if the
    ///   agent never registers.
    ///   - progressBar: rank 0 redraws a progress bar in its log (for a terminal following it).
    public init(slots: Int, workerProgram: String? = nil, keepState: Bool = false, progressBar: Bool = false) throws {
        self.keepState = keepState
        stateDir = NSTemporaryDirectory() + "cohort-run-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        var c = CoordinatorConfig()
        c.bind = "tcp://127.0.0.1:*"
        c.stateDir = stateDir
        c.metricsPort = nil
        c.workerProgram = workerProgram
        c.progressBar = progressBar
        coordinator = try Coordinator(config: c)
        try coordinator.start()
        agent = Agent(name: "local", address: "127.0.0.1", slots: slots, coordinator: coordinator.endpoint)
        agent.start()
        let client = CoordinatorClient(endpoint: coordinator.endpoint)
        let deadline = Date().addingTimeInterval(5)
        while (try? client.nodes().contains { $0.live }) != true {
            if Date() > deadline { stop(); throw ClientError.unreachable(endpoint: coordinator.endpoint, ms: 5000) }
            usleep(20_000)
        }
    }

    /// Stops the agent and the coordinator and, unless `keepState`, removes the state directory.
    public func stop() {
        agent.stop()
        coordinator.stop()
        if !keepState { try? FileManager.default.removeItem(atPath: stateDir) }
    }
}
