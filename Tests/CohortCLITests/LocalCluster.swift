// Tests helper: a real cluster of processes on loopback: `cohort coordinator` with a config file and
// `cohort agent` processes as "nodes" (127.0.0.1, 127.0.0.2, …; an rsh agent that runs the "remote"
// mpirun daemons here), driven through the CLI with --json. Everything it started, ranks included,
// is killed by `shutdown()`.
import Foundation
import XCTest

final class LocalCluster {
    let dir: String
    var endpoint = ""
    private var coordinator: Process?
    private var agents: [String: Process] = [:]
    let slots: [Int]
    /// The `cohort` the coordinator and the agents run.
    let binary: String

    /// - Parameters:
    ///   - slots: slots per node; node i is named n<i+1> at 127.0.0.<i+1>.
    ///   - config: extra lines for coordinator.yaml (e.g. heartbeat_interval_ms).
    ///   - binary: the `cohort` the daemons run (default: the one this test bundle was built with).
    init(name: String, slots: [Int], config: String = "", binary: String = CLI.binary) throws {
        self.slots = slots; self.binary = binary
        dir = CLI.tempDir() + "-" + name
        try FileManager.default.createDirectory(atPath: dir + "/state", withIntermediateDirectories: true)
        let rsh = dir + "/rsh.sh"
        try """
        #!/bin/sh
        # All "nodes" are this machine: drop ssh options and the host, run the command here.
        while [ $# -gt 0 ]; do case "$1" in -*) shift;; *) break;; esac; done
        shift
        exec sh -c "$*"
        """.write(toFile: rsh, atomically: true, encoding: .utf8)
        chmod(rsh, 0o755)
        try """
        bind: tcp://127.0.0.1:*
        state_dir: \(dir)/state
        metrics_port: null
        rsh_agent: \(rsh)
        \(config)
        """.write(toFile: dir + "/coordinator.yaml", atomically: true, encoding: .utf8)
        coordinator = try spawn(["coordinator", "--config", dir + "/coordinator.yaml"], log: dir + "/coordinator.log")
        let deadline = Date().addingTimeInterval(10)
        while endpoint.isEmpty && Date() < deadline {
            let text = (try? String(contentsOfFile: dir + "/coordinator.log", encoding: .utf8)) ?? ""
            if let r = text.range(of: #"tcp://127\.0\.0\.1:\d+"#, options: .regularExpression) { endpoint = String(text[r]) }
            usleep(20_000)
        }
        guard !endpoint.isEmpty else { shutdown(); throw TestFailure("coordinator did not start: \((try? String(contentsOfFile: dir + "/coordinator.log", encoding: .utf8)) ?? "")") }
        for i in slots.indices { try startAgent(i + 1) }
        try waitUntil(seconds: 10, "all agents live") { try liveNodes().count == slots.count }
    }

    func spawn(_ args: [String], log: String) throws -> Process { try CLI.spawn(args, log: log, executable: binary) }

    /// Starts (again) node `i`'s agent.
    func startAgent(_ i: Int) throws {
        agents["n\(i)"] = try spawn(["agent", "--coordinator", endpoint, "--name", "n\(i)", "--address", "127.0.0.\(i)",
                                     "--slots", "\(slots[i - 1])"], log: dir + "/agent-n\(i).log")
    }

    /// SIGKILLs node `i`'s agent: the coordinator notices only by its missing heartbeats.
    func killAgent(_ i: Int) {
        guard let p = agents["n\(i)"] else { return }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
    }

    /// `cohort ARGS… --coordinator EP`.
    func cohort(_ args: [String]) throws -> CLIResult { try CLI.run(args + ["--coordinator", endpoint]) }

    func liveNodes() throws -> [String] {
        ((try json(["nodes"]) as? [[String: Any]]) ?? []).filter { $0["live"] as? Bool == true }.compactMap { $0["name"] as? String }
    }


    /// Pid of rank `rank` of `job` started by this cluster's coordinator.
    func rankPid(job: String, rank: Int) -> pid_t? {
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let env = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            let vars = Set(env.split(separator: 0).map { String(decoding: $0, as: UTF8.self) })
            if vars.contains("COHORT_JOB_ID=\(job)") && vars.contains("OMPI_COMM_WORLD_RANK=\(rank)") && vars.contains("COHORT_COORDINATOR=\(endpoint)") {
                return pid
            }
        }
        return nil
    }

    /// Kills the agents, the coordinator and every process that was started for it.
    func shutdown() {
        for p in agents.values where p.isRunning { kill(p.processIdentifier, SIGKILL) }
        if let c = coordinator, c.isRunning { kill(c.processIdentifier, SIGKILL) }
        for entry in (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = pid_t(entry), let env = FileManager.default.contents(atPath: "/proc/\(entry)/environ") else { continue }
            // The whole variable: port 4000's endpoint is a prefix of port 40001's, another test's.
            let vars = env.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            if !endpoint.isEmpty && vars.contains("COHORT_COORDINATOR=\(endpoint)") {
                kill(pid, SIGCONT); kill(pid, SIGKILL)
            }
        }
        try? FileManager.default.removeItem(atPath: dir)
    }
}
