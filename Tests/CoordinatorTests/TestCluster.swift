// Tests helper: a throwaway loopback cluster: temp state dir, a worker script standing in for
// `cohort train` (finds its test parameters — sleep, exit code, lines, tail — in params/<seed>,
// where <seed> is the spec's train.seed; prints numbered lines, records its pid and attempt), a
// fake rsh agent that runs "remote" ranks locally, an embedded coordinator and two embedded agents
// (127.0.0.1 and 127.0.0.2, 2 slots each). Specs are complete, valid JobSpecs.
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
        for sub in ["/pids", "/params", "/attempts"] { try FileManager.default.createDirectory(atPath: dir + sub, withIntermediateDirectories: true) }
        try TestCluster.write(dir + "/worker.sh", """
        #!/bin/sh
        # args: train --job ID --coordinator EP SPEC
        for a in "$@"; do spec="$a"; done
        seed=$(sed -n -E 's/.*seed: *([0-9]+).*/\\1/p' "$spec" | head -n 1)
        s=0; c=0; n=5; t=""
        [ -f "\(dir)/params/$seed" ] && . "\(dir)/params/$seed"
        echo $$ > "\(dir)/pids/$COHORT_JOB_ID-$OMPI_COMM_WORLD_RANK"
        echo $COHORT_ATTEMPT > "\(dir)/attempts/$COHORT_JOB_ID"
        i=0; while [ $i -lt ${n:-5} ]; do echo "job $COHORT_JOB_ID rank $OMPI_COMM_WORLD_RANK line $i"; i=$((i+1)); done
        sleep ${s:-0}
        echo "job $COHORT_JOB_ID rank $OMPI_COMM_WORLD_RANK done"
        [ -n "$t" ] && printf "%s" "$t"
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
        // A 1.5 s liveness window (3 × 500 ms): with 200 ms a live agent thread missed three beats
        // while other tests loaded the machine, and its node counted as lost.
        c.heartbeatIntervalMs = 500; c.killGraceMs = 1500; c.restartBackoffMs = 100
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
            let a = Agent(name: name, address: addr, slots: 2, coordinator: endpoint ?? self.endpoint, heartbeatIntervalMs: 500)
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
        let deadline = Date().addingTimeInterval(30)  // a loaded machine may take long to start a coordinator process
        while Date() < deadline {
            if (try? client.nodes().filter(\.live).count) == n { return }
            usleep(50_000)
        }
        XCTFail("nodes did not register")
    }

    private var nextSeed = 1
    private let seedLock = NSLock()

    /// A valid job spec whose worker sleeps `sleep` s, prints `lines` numbered lines (then `tail`
    /// without a newline) and exits with `exit`. `extra` is appended (e.g. "fault: {max_restarts: 1}").
    func spec(_ name: String, ranks: Int, sleep: Double = 0, exit: Int = 0, lines: Int = 5, tail: String? = nil,
              priority: Int? = nil, extra: String = "") -> String {
        seedLock.lock(); let seed = nextSeed; nextSeed += 1; seedLock.unlock()
        let params = "s=\(sleep); c=\(exit); n=\(lines); t='\(tail ?? "")'\n"
        try? params.write(toFile: "\(dir)/params/\(seed)", atomically: true, encoding: .utf8)
        return "name: \(Self.quoted(name))\n" + Self.body(ranks: ranks, seed: seed) + (priority.map { "priority: \($0)\n" } ?? "") + extra
    }

    /// Everything of a valid spec but the name.
    static func body(ranks: Int, seed: Int = 0) -> String {
        "model: {kind: mlp, hidden: [8]}\ndata: {kind: fashion-mnist}\ntrain: {epochs: 1, batch_per_rank: 8, optimizer: sgd, lr: 0.1, seed: \(seed)}\nparallel: {ranks: \(ranks)}\n"
    }

    static func quoted(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// The attempt (COHORT_ATTEMPT) job `id`'s ranks were started with, once one has started.
    func attempt(of id: String, timeout: Double = 10) -> Int? {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let s = try? String(contentsOfFile: "\(dir)/attempts/\(id)", encoding: .utf8), let a = Int(s.trimmingCharacters(in: .whitespacesAndNewlines)) { return a }
            usleep(20_000)
        }
        return nil
    }

    /// Runs `sql` on the SQLite database at `db` with the sqlite3 tool (to shape a stopped coordinator's store).
    static func sqlite(_ db: String, _ sql: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [db]
        let input = Pipe()
        p.standardInput = input
        try p.run()
        input.fileHandleForWriting.write(Data(sql.utf8))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "sqlite3 failed")
    }

    func shutdown() {
        agents.forEach { $0.stop() }
        coordinator?.stop()
        try? FileManager.default.removeItem(atPath: dir)
    }
}
