// Tests: LaunchContract round-trips through an environment and /proc, and MPIRunCommand builds the
// command lines of both launchers (the coordinator's attempt, `cohort`'s local run).
import Foundation
import Wire
import XCTest

final class LaunchContractTests: XCTestCase {
    func testContractRoundTripsThroughAnEnvironment() throws {
        let c = LaunchContract(job: "12", coordinator: "tcp://127.0.0.1:5555", attempt: 3, heartbeatMs: 200, fenceMs: 4000)
        XCTAssertEqual(LaunchContract(environment: c.environment), c)
        XCTAssertEqual(Set(c.environment.keys), Set(LaunchContract.variables))
        XCTAssertNil(LaunchContract(environment: ["COHORT_JOB_ID": "1"]), "without coordinator and attempt it is no launch")
        XCTAssertEqual(c.trainArguments(checkpointDir: "/ck", spec: "/s.yaml", progressBar: false),
                       ["train", "--job", "12", "--coordinator", "tcp://127.0.0.1:5555", "--checkpoint-dir", "/ck", "--resume", "auto", "/s.yaml"])
        XCTAssertEqual(c.trainArguments(checkpointDir: "/ck", spec: "/s.yaml", progressBar: true).suffix(2), ["--bar", "/s.yaml"], "the spec comes last")
    }

    func testAnotherProcessesContractIsReadFromProc() throws {
        let c = LaunchContract(job: "7", coordinator: "ipc:///tmp/x", attempt: 9)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sleep")
        p.arguments = ["5"]
        p.environment = c.environment.merging([LaunchContract.rankVariable: "2"]) { a, _ in a }
        try p.run()
        defer { p.terminate(); p.waitUntilExit() }
        // Until the child has exec'd, /proc shows the parent's environment: wait for the child's.
        var found: [String: String]?
        let deadline = Date().addingTimeInterval(5)
        while found == nil && Date() < deadline {
            found = LaunchContract.environment(ofProcess: p.processIdentifier)
            if found == nil { usleep(5_000) }
        }
        let env = try XCTUnwrap(found, "no launch contract in /proc/\(p.processIdentifier)/environ within 5 s")
        XCTAssertEqual(LaunchContract(environment: env), c)
        XCTAssertEqual(env[LaunchContract.rankVariable], "2")
    }

    func testMPIRunCommandLines() {
        var m = MPIRunCommand(ranks: 3, program: "/bin/cohort", arguments: ["train", "x.yaml"])
        m.hostfile = "/a/hostfile"; m.oversubscribe = true; m.outputDirectory = "/a/out"; m.exports = ["COHORT_JOB_ID"]
        m.options = ["--mca", "routed", "direct"]
        let root = getuid() == 0 ? ["--allow-run-as-root"] : []
        XCTAssertEqual(m.argv, ["mpirun"] + root + ["--oversubscribe", "--hostfile", "/a/hostfile", "-np", "3", "--output-filename", "/a/out",
                                                    "--merge-stderr-to-stdout", "-x", "COHORT_JOB_ID", "--mca", "routed", "direct",
                                                    "/bin/cohort", "train", "x.yaml"])
        var local = MPIRunCommand(ranks: 2, program: "p", arguments: [])
        local.binding = .core
        XCTAssertEqual(local.argv, ["mpirun"] + root + ["-np", "2", "--bind-to", "core", "p"])
    }
}
