// `cohort bench allreduce --nodes K`: the benchmark makes its own namespace nodes, runs one rank
// in each over the socket ring, and prints the documented JSON lines with nodes, link rate and
// wire format; bad options are one error line each.
import Foundation
import XCTest

final class CrossNodeBenchTests: XCTestCase {
    func testAllreduceAcrossTwoShapedNamespaceNodesInBF16() throws {
        let haveIP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        try XCTSkipUnless(getuid() == 0 && haveIP, "needs root and iproute2")
        let r = try CLI.run(["bench", "allreduce", "--nodes", "2", "--link-rate", "1gbit", "--bytes", "64K", "1M",
                             "--iterations", "1", "--dtype", "bf16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(lines.count, 4, r.stdout)
        let ring = lines.filter { $0["impl"] as? String == "ring" }
        XCTAssertEqual(ring.count, 2, r.stdout)
        for line in ring {
            XCTAssertEqual(line["transport"] as? String, "sockets", "\(line)")
            XCTAssertEqual(line["dtype"] as? String, "bf16", "\(line)")
            XCTAssertEqual(line["nodes"] as? Int, 2, "\(line)")
            XCTAssertEqual(line["link_rate"] as? String, "1gbit", "\(line)")
        }
        XCTAssertEqual(try CLI.benchNamespacesLeft(r), [], "namespaces left behind")
    }

    func testBadCrossNodeOptionsAreOneErrorEach() throws {
        for (args, text) in [(["--dtype", "fp8"], "--dtype must be fp32, bf16 or fp16"),
                             (["--link-rate", "1gbit"], "--link-rate needs --nodes"),
                             (["--nodes", "2", "--link-rate", "fast"], "--link-rate must be a tc rate"),
                             (["--nodes", "1"], "--nodes must be in 2 ... 16")] {
            let r = try CLI.run(["bench", "allreduce"] + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertTrue(r.stderr.contains(text), "\(args): \(r.stderr)")
        }
        let r = try CLI.run(["bench", "scaling", "--ab-env", "PATH=/"])   // only Cohort's own settings
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--ab-env must be COHORT_NAME=VALUE, got 'PATH=/'"), r.stderr)
    }
}
