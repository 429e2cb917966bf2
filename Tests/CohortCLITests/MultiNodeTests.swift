// Data-parallel training across two "nodes": network namespaces on a bridge, made and removed by
// the test itself (launch/netns-cluster.sh), one rank in each, mpirun entering them through an
// rsh agent. The result must equal the single-node run's.
import Foundation
import XCTest

final class MultiNodeTests: XCTestCase {
    func sh(_ args: [String]) throws -> CLIResult { try CLI.exec("/usr/bin/env", args, environment: ["PMIX_MCA_gds": "hash"]) }

    func testTwoNamespaceNodesTrainToTheSingleNodeParameters() throws {
        let haveIP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        try XCTSkipUnless(getuid() == 0 && CLI.haveData && haveIP, "needs root, iproute2 and the data set")
        let script = CLI.root + "/launch/netns-cluster.sh"
        let name = "cdp\(getpid() % 100_000)"
        let dir = CLI.tempDir()
        defer {
            _ = try? sh(["bash", script, "down", name])
            try? FileManager.default.removeItem(atPath: dir)
        }
        let up = try sh(["bash", script, "up", name, "2"])
        XCTAssertEqual(up.status, 0, up.stderr)
        let hostfile = dir + "/hosts"
        try up.stdout.write(toFile: hostfile, atomically: true, encoding: .utf8)
        let subnet = up.stdout.split(separator: "\n")[0].split(separator: ".").prefix(3).joined(separator: ".") + ".0/24"
        let spec = dir + "/s.yaml"
        try """
        name: multinode
        model: {kind: mlp, hidden: [100, 50]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 64, optimizer: adam, lr: 0.001, seed: 4, max_steps: 6}
        parallel: {ranks: 2, bucket_mb: 0.05}
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let remote = try sh(["timeout", "180", "mpirun", "--allow-run-as-root", "--hostfile", hostfile, "-np", "2",
                             "--mca", "plm_rsh_agent", "\(script) rsh", "--mca", "btl", "tcp,self", "--mca", "rtc_hwloc_vmhole", "none",
                             "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", "\(name)-br,eth0",
                             "-x", "PMIX_MCA_gds", CLI.binary, "train", spec, "--dump-params", dir + "/remote", "--check-replicas"])
        XCTAssertEqual(remote.status, 0, remote.stderr)
        let local = try CLI.mpirun(2, ["train", spec, "--dump-params", dir + "/local"])
        XCTAssertEqual(local.status, 0, local.stderr)
        let a = try CLI.floats(dir + "/remote.rank0"), b = try CLI.floats(dir + "/local.rank0")
        XCTAssertEqual(a.count, b.count)
        // The ring's reduction order does not depend on the transport: bitwise the same.
        XCTAssertEqual(a, b, "namespace run differs from the single-node run")
        XCTAssertEqual(try CLI.floats(dir + "/remote.rank1"), a)
    }
}
