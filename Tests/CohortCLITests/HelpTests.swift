// The top-level help lists every command with its one-sentence abstract, and exits 0.
import XCTest

final class HelpTests: XCTestCase {
    func testRootHelpIsExact() throws {
        let r = try CLI.run(["--help"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, """
        OVERVIEW: Train models data-parallel across processes and nodes.

        USAGE: cohort <subcommand>

        OPTIONS:
          -h, --help              Show help information.

        SUBCOMMANDS:
          train                   Train the model a job spec describes.
          run                     Run one job on this machine through an embedded
                                  coordinator.
          eval                    Evaluate a checkpoint on the test set.
          export                  Write a checkpoint's parameters alone.
          bench                   Measure Cohort and print one JSON line per result.
          coordinator             Run the coordinator daemon.
          agent                   Run this node's agent.
          keys                    Make a CURVE key pair for the control plane.
          submit                  Queue a job spec on the coordinator.
          status                  Show one job's state, reason and progress.
          list                    List jobs, newest first.
          logs                    Print a job's rank output.
          cancel                  Cancel a pending or running job.
          nodes                   List the nodes agents have registered.
          plot                    Write an SVG of a job's loss and throughput.

          See 'cohort help <subcommand>' for detailed help.

        """)
    }

    func testSubcommandHelpAndHelpSubcommandAgree() throws {
        let a = try CLI.run(["train", "--help"]), b = try CLI.run(["help", "train"])
        XCTAssertEqual(a.status, 0)
        XCTAssertEqual(b.status, 0)
        XCTAssertEqual(a.stdout, b.stdout)
        XCTAssertTrue(a.stdout.hasPrefix("OVERVIEW: Train the model a job spec describes.\n\nUSAGE: cohort train [<options>] <spec>\n"))
    }
}
