// Data-parallel training across two "nodes": network namespaces on a bridge, made and removed by
// the test itself (launch/netns-cluster.sh), one rank in each, mpirun entering them through an
// rsh agent. The result must equal the single-node run's.
import Foundation
import XCTest

final class MultiNodeTests: XCTestCase {
    func testTwoNamespaceNodesTrainToTheSingleNodeParameters() throws {
        try TestNodes.available()
        let dir = CLI.tempDir()
        let nodes = try TestNodes(name: "cdp\(getpid() % 100_000)", count: 2, dir: dir)
        defer {
            nodes.down()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let spec = dir + "/s.yaml"
        try """
        name: multinode
        model: {kind: mlp, hidden: [100, 50]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 64, optimizer: adam, lr: 0.001, seed: 4, max_steps: 6}
        parallel: {ranks: 2, bucket_mb: 0.05}
        """.write(toFile: spec, atomically: true, encoding: .utf8)
        let remote = try nodes.mpirun(2, ["train", spec, "--dump-params", dir + "/remote", "--check-replicas"])
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
