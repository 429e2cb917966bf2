// Data-parallel training under mpirun, with real processes: N ranks × batch B must end with the
// parameters of 1 rank × batch N·B (same seed, same samples), and replicas stay bitwise equal.
import Foundation
import XCTest

final class DataParallelTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func spec(batch: Int, ranks: Int = 4, extra: String = "", steps: Int = 8) -> String {
        let path = "\(dir)/b\(batch)-\(extra.hashValue).yaml"
        try? """
        name: eq
        model: {kind: mlp, hidden: [100, 50]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: \(batch), optimizer: adam, lr: 0.001, seed: 4, max_steps: \(steps)\(extra)}
        parallel: {ranks: \(ranks), bucket_mb: 0.05}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Every element within 1e-5 relative (absolute below 1), and the whole vector within 1e-5.
    func assertEquivalent(_ a: [Float], _ b: [Float], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        var worst: Float = 0, at = 0, num = 0.0, den = 0.0
        for i in 0..<min(a.count, b.count) {
            let e = abs(a[i] - b[i]) / max(abs(a[i]), 1)
            if e > worst { worst = e; at = i }
            num += Double(a[i] - b[i]) * Double(a[i] - b[i]); den += Double(a[i]) * Double(a[i])
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "\(what): element \(at) differs by \(worst)", file: file, line: line)
        XCTAssertLessThanOrEqual((num / den).squareRoot(), 1e-5, "\(what): relative norm", file: file, line: line)
    }

    func oneRank(batch: Int, extra: String = "") throws -> [Float] {
        let r = try CLI.run(["train", spec(batch: batch, extra: extra), "--dump-params", "\(dir)/one\(batch)"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try CLI.floats("\(dir)/one\(batch).rank0")
    }

    func nRanks(_ n: Int, batch: Int, extra: String = "") throws -> [[Float]] {
        let r = try CLI.mpirun(n, ["train", spec(batch: batch, extra: extra), "--dump-params", "\(dir)/n\(n)", "--check-replicas"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try (0..<n).map { try CLI.floats("\(dir)/n\(n).rank\($0)") }
    }

    func testTwoRanksEqualOneRankWithTwiceTheBatch() throws {
        try XCTSkipUnless(CLI.haveData)
        let reference = try oneRank(batch: 128)
        let ranks = try nRanks(2, batch: 64)
        assertEquivalent(reference, ranks[0], "2×64 vs 1×128")
        XCTAssertEqual(ranks[0], ranks[1], "replicas must be bitwise identical")
    }

    func testThreeRanksEqualOneRankAndReplicasAreBitwiseIdentical() throws {
        try XCTSkipUnless(CLI.haveData)
        let reference = try oneRank(batch: 96)
        let ranks = try nRanks(3, batch: 32)
        assertEquivalent(reference, ranks[0], "3×32 vs 1×96")
        XCTAssertEqual(ranks[0], ranks[1])
        XCTAssertEqual(ranks[0], ranks[2])
    }

    func testTwoRanksWithAccumulationEqualOneRank() throws {
        try XCTSkipUnless(CLI.haveData)
        let reference = try oneRank(batch: 128)
        let ranks = try nRanks(2, batch: 64, extra: ", accumulation: 4")
        assertEquivalent(reference, ranks[0], "2×(4×16) vs 1×128")
    }

    func testMoreRanksThanTheSpecAllowsIsOneClearError() throws {
        let r = try CLI.mpirun(3, ["train", spec(batch: 8, ranks: 2)])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("error: 3 ranks started, but the spec allows 1…2"), r.stderr)
    }

    func testRunRefusesMoreRanksThanCoresWithoutOversubscribe() throws {
        let n = ProcessInfo.processInfo.activeProcessorCount + 1
        let r = try CLI.run(["run", "-n", "\(n)", spec(batch: 8)], cwd: dir)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("\(n) ranks exceed the \(n - 1) cores of this machine; pass --oversubscribe"), r.stderr)
        let zero = try CLI.run(["run", "-n", "0", spec(batch: 8)], cwd: dir)
        XCTAssertEqual(zero.status, 64)
        XCTAssertTrue(zero.stderr.contains("-n must be in 1…4096, got 0"), zero.stderr)
    }

    func testRunTrainsOnTwoLocalRanks() throws {
        try XCTSkipUnless(CLI.haveData)
        // From the test's own directory: `cohort run` keeps checkpoints/<job name> under the current
        // one, and a run there would otherwise resume from an earlier run's.
        let r = try CLI.run(["run", "-n", "2", "--oversubscribe", spec(batch: 32, steps: 20)], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("final test accuracy"), r.stdout)
    }
}
