// Implements: `cohort dashboard`: serves the coordinator's web dashboard (and /metrics) from its
// loopback metrics port on this machine to another address, which then needs a token.
import ArgumentParser
import Coordinator
import Foundation

struct DashboardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard", abstract: "Serve the coordinator's web dashboard on an address of this machine.",
        discussion: """
        The coordinator itself serves the dashboard at http://127.0.0.1:METRICS_PORT/ (metrics_port in its
        config, 9464 by default). This command runs on the coordinator's machine and makes it reachable
        elsewhere: any address but loopback needs a token (--token-file, or $COHORT_DASHBOARD_TOKEN), and
        every request must carry it (open http://ADDRESS:PORT/?token=TOKEN). The dashboard is read-only.
        Ctrl-C stops serving.
        """)
    @Option(help: "ADDRESS:PORT to listen on (IPv4; port 0 picks one).") var bind = "127.0.0.1:8265"
    @Option(help: "The coordinator's metrics_port on 127.0.0.1.") var metricsPort = 9464
    @Option(help: "File holding the token (at least 16 characters), required beyond loopback.") var tokenFile: String?

    func validate() throws {
        guard let i = bind.lastIndex(of: ":"), Int(bind[bind.index(after: i)...]).map({ (0 ... 65535).contains($0) }) == true else {
            throw ValidationError("--bind must be ADDRESS:PORT, got '\(bind)'")
        }
        guard (1 ... 65535).contains(metricsPort) else { throw ValidationError("--metrics-port must be in 1…65535, got \(metricsPort)") }
    }

    func run() throws {
        let i = bind.lastIndex(of: ":")!
        let host = String(bind[..<i]), port = Int(bind[bind.index(after: i)...])!
        var token = ProcessInfo.processInfo.environment["COHORT_DASHBOARD_TOKEN"]
        if let tokenFile {
            do { token = try String(contentsOfFile: tokenFile, encoding: .utf8) } catch {
                throw CLIFileError(path: tokenFile, what: "the token file", error: error)
            }
        }
        let proxy = try DashboardProxy(host: host, port: port, token: token, metricsPort: metricsPort)
        print("dashboard on http://\(proxy.host):\(proxy.port)/\(token == nil ? "" : "?token=…") (from 127.0.0.1:\(metricsPort)); Ctrl-C stops it")
        dispatchMain()
    }
}
