// Implements: `cohort coordinator`, the daemon in the foreground until SIGINT/SIGTERM.
import ArgumentParser
import Coordinator
import Foundation
import Wire

struct CoordinatorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "coordinator", abstract: "Run the coordinator daemon.")
    @Option(help: "Config file (YAML); without it, \(Self.defaultConfig) if present, else the defaults.") var config: String?
    static let defaultConfig = "cluster/coordinator.yaml"
    @Option(help: "Override the config's bind endpoint.") var bind: String?
    @Option(help: "Override the config's state directory.") var stateDir: String?

    func run() throws {
        // A named config must exist; only the implicit default may be absent.
        let path = config ?? (FileManager.default.fileExists(atPath: Self.defaultConfig) ? Self.defaultConfig : nil)
        var c = try path.map { try CoordinatorConfig.load(path: $0) } ?? CoordinatorConfig()
        if let bind { c.bind = bind }
        if let stateDir { c.stateDir = stateDir }
        // Attempts run in their own directories: a relative state directory would name another place there.
        if !c.stateDir.hasPrefix("/") { c.stateDir = FileManager.default.currentDirectoryPath + "/" + c.stateDir }
        let coordinator = try Coordinator(config: c)
        do { try coordinator.start() } catch let WireError.zmq(call, e) where call.hasPrefix("zmq_bind") && e == EADDRINUSE {
            throw HintedError(description: "cannot listen on \(c.bind): address already in use (another coordinator?)",
                              hint: "stop the process that listens there, or pass --bind tcp://127.0.0.1:PORT with another port")
        } catch let e where "\(e)".hasPrefix("cannot listen on") && "\(e)".hasSuffix(String(cString: strerror(EADDRINUSE))) {
            throw HintedError(description: "\(e) (another coordinator's metrics?)",
                              hint: "set metrics_port in the config to another port (0 picks a free one; null turns metrics off)")
        }
        print("coordinator listening on \(coordinator.endpoint), state in \(c.stateDir)\(coordinator.metricsPort.map { ", metrics on http://127.0.0.1:\($0)/metrics" } ?? "")"
              + (coordinator.curvePublicKey.map { ", CURVE public key \($0)" } ?? ""))
        fflush(stdout)
        waitForSignal()
        coordinator.stop()
    }
}

/// Blocks until SIGINT or SIGTERM.
func waitForSignal() {
    signal(SIGINT, SIG_IGN); signal(SIGTERM, SIG_IGN)
    let sem = DispatchSemaphore(value: 0)
    let sources = [SIGINT, SIGTERM].map { s -> DispatchSourceSignal in
        let src = DispatchSource.makeSignalSource(signal: s)
        src.setEventHandler { sem.signal() }
        src.resume()
        return src
    }
    sem.wait()
    sources.forEach { $0.cancel() }
}
