// Two namespace nodes with two ranks each: the reduction across nodes is hierarchical (inside the
// node, a ring between the nodes per local rank, inside the node), its results repeat bit for bit
// from run to run, are the same bits whether the phases inside the node run over the node's
// shared memory (the default) or its TCP ring (COHORT_SHARED_MEMORY=0), agree with the flat
// ring's (COHORT_HIERARCHICAL=0) to 1e-6, and the bytes sent between
// nodes per allreduce, counted by the ranks and printed by the benchmark, are the formula's:
// flat 2 links × 2(N−1)/N × S, hierarchical N × 2(K−1)/K × S/L (here 2/3 of the flat ring's).
import Foundation
import XCTest

final class HierarchyTests: XCTestCase {
    /// Two namespace nodes whose hostfile offers two slots each, and the test's directory.
    static func twoNodesOfTwoRanks(_ prefix: String) throws -> (TestNodes, String) {
        try TestNodes.available()
        let dir = CLI.tempDir()
        let nodes = try TestNodes(name: "\(prefix)\(getpid() % 100_000)", count: 2, dir: dir)
        let hosts = try String(contentsOfFile: nodes.hostfile, encoding: .utf8).replacingOccurrences(of: "slots=1", with: "slots=2")
        try hosts.write(toFile: nodes.hostfile, atomically: true, encoding: .utf8)
        return (nodes, dir)
    }

    func testTwoNodesOfTwoRanksReduceHierarchically() throws {
        let (nodes, dir) = try Self.twoNodesOfTwoRanks("chy")
        defer {
            nodes.down()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let bytes = 1 << 20, n = 4
        func run(hierarchical: Bool, tag: String, sharedMemory: Bool = true) throws -> (interNode: Int, hierarchical: Bool, results: [Data]) {
            let env = ["COHORT_HIERARCHICAL": hierarchical ? "1" : "0", "COHORT_SHARED_MEMORY": sharedMemory ? "1" : "0"]
            let r = try nodes.mpirun(environments: Array(repeating: env, count: n),
                                     ["bench", "allreduce", "--bytes", "1M", "--iterations", "1", "--dump-result", dir + "/\(tag)"])
            XCTAssertEqual(r.status, 0, "\(tag): \(r.stderr)")
            let lines = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            let ring = try XCTUnwrap(lines.first { $0["impl"] as? String == "ring" }, "\(tag): \(r.stdout)")
            XCTAssertEqual(ring["nodes"] as? Int, 2, "\(ring)")
            if hierarchical { XCTAssertEqual(ring["inside_nodes"] as? String, sharedMemory ? "shared-memory" : "sockets", "\(ring)") }
            let results = try (0 ..< n).map { try Data(contentsOf: URL(fileURLWithPath: dir + "/\(tag).rank\($0)")) }
            return (try XCTUnwrap(ring["inter_node_bytes"] as? Int), try XCTUnwrap(ring["hierarchical"] as? Bool), results)
        }
        let first = try run(hierarchical: true, tag: "h1"), second = try run(hierarchical: true, tag: "h2")
        let overTCP = try run(hierarchical: true, tag: "tcp", sharedMemory: false)
        let flat = try run(hierarchical: false, tag: "flat")
        XCTAssertTrue(first.hierarchical)
        XCTAssertFalse(flat.hierarchical)
        for r in 0 ..< n {
            XCTAssertEqual(first.results[r], second.results[r], "rank \(r): the hierarchy's bits changed between runs")
            XCTAssertEqual(first.results[r], overTCP.results[r], "rank \(r): shared memory and TCP inside the node gave other bits")
            XCTAssertEqual(first.results[r], first.results[0], "rank \(r) holds other bits than rank 0")
        }
        let h = first.results[0].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        let f = flat.results[0].withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        XCTAssertEqual(h.count, bytes / 4)
        let worst = zip(h, f).map { abs($0 - $1) }.max() ?? 0
        XCTAssertLessThanOrEqual(worst, 1e-6, "hierarchy against the flat ring")
        XCTAssertEqual(flat.interNode, 2 * 2 * (n - 1) * bytes / n, "flat ring's inter-node bytes")
        XCTAssertEqual(first.interNode, n * 2 * (2 - 1) * (bytes / 2) / 2, "hierarchy's inter-node bytes")
        XCTAssertEqual(overTCP.interNode, first.interNode, "TCP inside the node crossed nodes")
        print("inter-node bytes per 1 MB allreduce, 2 nodes x 2 ranks: flat \(flat.interNode), hierarchical \(first.interNode)")
    }

    /// Training through the hierarchy (shared memory inside each node, a ring per local rank
    /// between the nodes): 2 nodes × 2 ranks × B end with the parameters of 1 rank × 4B, at
    /// stages 0 and 1, and the four replicas are bitwise equal.
    func testTrainingOnTwoNodesOfTwoRanksEqualsOneRankWithFourTimesTheBatch() throws {
        let (nodes, dir) = try Self.twoNodesOfTwoRanks("cht")
        defer {
            nodes.down()
            try? FileManager.default.removeItem(atPath: dir)
        }
        func spec(_ name: String, batch: Int, stage: Int) throws -> String {
            let path = dir + "/\(name).yaml"
            try """
            name: hierarchy
            model: {kind: mlp, hidden: [100, 50]}
            data: {kind: fashion-mnist}
            train: {epochs: 1, batch_per_rank: \(batch), optimizer: adam, lr: 0.001, seed: 4, max_steps: 6}
            parallel: {ranks: 4, bucket_mb: 0.05, zero_stage: \(stage)}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
        let one = try CLI.run(["train", try spec("one", batch: 128, stage: 0), "--dump-params", dir + "/one"])
        XCTAssertEqual(one.status, 0, one.stderr)
        let reference = try CLI.floats(dir + "/one.rank0")
        for stage in [0, 1] {
            let name = "h\(stage)"
            let r = try nodes.mpirun(4, ["train", try spec(name, batch: 32, stage: stage), "--plain", "--dump-params", dir + "/" + name])
            XCTAssertEqual(r.status, 0, "stage \(stage): \(r.stderr)")
            let first = try CLI.floats(dir + "/\(name).rank0")
            XCTAssertEqual(first.count, reference.count)
            for rank in 1 ..< 4 {
                XCTAssertEqual(try CLI.floats(dir + "/\(name).rank\(rank)").map(\.bitPattern), first.map(\.bitPattern),
                               "stage \(stage): rank \(rank) differs from rank 0")
            }
            let worst = zip(first, reference).map { abs($0 - $1) / max(abs($1), 1) }.enumerated().max { $0.element < $1.element }
            XCTAssertLessThanOrEqual(worst?.element ?? 1, 1e-5, "stage \(stage): element \(worst?.offset ?? -1)")
        }
    }
}
