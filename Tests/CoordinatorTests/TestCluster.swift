// Tests helper: a throwaway loopback cluster: temp state dir, a worker script standing in for
// `cohort train` (reads test_sleep / test_exit / test_lines from the spec, prints numbered lines,
// records its pid), a fake rsh agent that runs "remote" ranks locally, an embedded coordinator
// and two embedded agents (127.0.0.1 and 127.0.0.2, 2 slots each).
import Coordinator
import Foundation
import Wire
import XCTest

final class TestCluster {
    let dir: String
    var coordinator: Coordinator?
    var agents: [Agent] = []
    var endpoint = ""

    init(name: String) throws {
        dir = NSTemporaryDirectory() + "cohort-\(name)-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        try FileManager.default.createDirectory(atPath: dir + "/pids", withIntermediateDirectories: true)
        try TestCluster.write(dir + "/worker.sh", """
        #!/bin/sh
        # args: train --job ID --coordinator EP SPEC
        for a in "$@"; do spec="$a"; done
        s=$(sed -n 's/^test_sleep: *//p' "$spec"); c=$(sed -n 's/^test_exit: *//p' "$spec"); n=$(sed -n 's/^test_lines: *//p' "$spec")
        echo $$ > "\(dir)/pids/$COHORT_JOB_ID-$OMPI_COMM_WORLD_RANK"
        i=0; while [ $i -lt ${n:-5} ]; do echo "job $COHORT_JOB_ID rank $OMPI_COMM_WORLD_RANK line $i"; i=$((i+1)); done
        sleep ${s:-0}
        echo "job $COHORT_JOB_ID rank $OMPI_COMM_WORLD_RANK done"
        t=$(sed -n 's/^test_tail: *//p' "$spec"); [ -n "$t" ] && printf "%s" "$t"
        exit ${c:-0}
        """)
        try TestCluster.write(dir + "/rsh.sh", """
        #!/bin/sh
        # Fake rsh: drop options and the host, run the command here (all "nodes" are loopback).
        while [ $# -gt 0 ]; do case "$1" in -*) shift;; *) break;; esac; done
        shift
        exec sh -c "$*"
        """)
    }

    static func write(_ path: String, _ text: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
    }

    func config(bind: String = "tcp://127.0.0.1:*") -> CoordinatorConfig {
        var c = CoordinatorConfig()
        c.bind = bind; c.stateDir = dir + "/state"; c.metricsPort = 0
        c.rshAgent = dir + "/rsh.sh"; c.workerProgram = dir + "/worker.sh"
        c.heartbeatIntervalMs = 200; c.killGraceMs = 1500; c.restartBackoffMs = 100
        return c
    }

    func startCoordinator() throws {
        let c = try Coordinator(config: config())
        try c.start()
        coordinator = c
        endpoint = c.endpoint
    }

    func startAgents(endpoint: String? = nil) {
        for (name, addr) in [("node-a", "127.0.0.1"), ("node-b", "127.0.0.2")] {
            let a = Agent(name: name, address: addr, slots: 2, coordinator: endpoint ?? self.endpoint, heartbeatIntervalMs: 200)
            a.start()
            agents.append(a)
        }
    }

    /// Starts the coordinator and both agents and waits until the nodes are live; returns a client.
    func start() throws -> CoordinatorClient {
        try startCoordinator()
        startAgents()
        let client = CoordinatorClient(endpoint: endpoint)
        try waitForNodes(2, client: client)
        return client
    }

    /// Waits until the coordinator reports `n` live nodes.
    func waitForNodes(_ n: Int, client: CoordinatorClient) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if (try? client.nodes().filter(\.live).count) == n { return }
            usleep(50_000)
        }
        XCTFail("nodes did not register")
    }

    func spec(_ name: String, ranks: Int, sleep: Double = 0, exit: Int = 0, lines: Int = 5, priority: Int? = nil) -> String {
        "name: \(name)\nparallel: {ranks: \(ranks)}\ntest_sleep: \(sleep)\ntest_exit: \(exit)\ntest_lines: \(lines)\n" + (priority.map { "priority: \($0)\n" } ?? "")
    }

    func shutdown() {
        agents.forEach { $0.stop() }
        coordinator?.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
