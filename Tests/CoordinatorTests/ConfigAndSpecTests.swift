// Tests: CoordinatorConfig (defaults, overrides, loopback-only binds, bad values named) and
// SpecSummary (lenient about trainer keys, strict about ranks).
import Coordinator
import XCTest

final class ConfigAndSpecTests: XCTestCase {
    func testRepositoryConfigParses() throws {
        let c = try CoordinatorConfig.load(path: #filePath.replacingOccurrences(of: "Tests/CoordinatorTests/ConfigAndSpecTests.swift", with: "cluster/coordinator.yaml"))
        XCTAssertEqual(c.bind, "tcp://127.0.0.1:5555")
        XCTAssertEqual(c.heartbeatIntervalMs, 1000)
        XCTAssertEqual(c.heartbeatLiveness, 3)
    }

    func testNonLoopbackBindIsRefused() {
        XCTAssertThrowsError(try CoordinatorConfig.parse("bind: tcp://0.0.0.0:5555\n", source: "c.yaml")) { e in
            XCTAssertTrue("\(e)".contains("0.0.0.0") && "\(e)".contains("CURVE"), "\(e)")
        }
        XCTAssertThrowsError(try CoordinatorConfig.parse("bind: tcp://10.1.2.3:5555\n", source: "c.yaml"))
        XCTAssertNoThrow(try CoordinatorConfig.parse("bind: tcp://127.0.0.1:*\n", source: "c.yaml"))
        XCTAssertNoThrow(try CoordinatorConfig.parse("bind: tcp://localhost:6000\n", source: "c.yaml"))
    }

    func testBadValuesAreNamed() {
        for (yaml, needle) in [("heartbeat_liveness: 0\n", "heartbeat_liveness"), ("heartbeat_interval_ms: fast\n", "heartbeat_interval_ms"),
                               ("colour: red\n", "unknown key colour"), ("max_frame_bytes: 10\n", "max_frame_bytes")] {
            XCTAssertThrowsError(try CoordinatorConfig.parse(yaml, source: "c.yaml")) { e in
                XCTAssertTrue("\(e)".contains(needle), "\(e)")
                XCTAssertTrue("\(e)".contains("c.yaml"), "\(e)")
            }
        }
    }

    func testSpecSummary() throws {
        let s = try SpecSummary.parse("""
        name: fashion-mlp
        model: {kind: mlp, hidden: [1024, 1024]}
        train: {global_batch: 512}
        parallel: {ranks: 2, min_ranks: 1}
        fault: {max_restarts: 3}
        priority: 4
        """)
        XCTAssertEqual(s, SpecSummary(name: "fashion-mlp", ranks: 2, priority: 4, maxRestarts: 3, minRanks: 1, globalBatch: 512))
        XCTAssertEqual(s.restartSizes, [2, 1])
        XCTAssertThrowsError(try SpecSummary.parse("name: x\ntrain: {batch_per_rank: 8}\nparallel: {ranks: 2, min_ranks: 1}\n")) {
            XCTAssertTrue("\($0)".contains("needs train.global_batch"), "\($0)")
        }
        let elastic = try SpecSummary.parse("name: e\ntrain: {global_batch: 120, accumulation: 5}\nparallel: {ranks: 6, min_ranks: 2}\ncheckpoint: {dir: ck}\n")
        XCTAssertEqual(elastic.restartSizes, [6, 4, 3, 2])  // 120/5 = 24 samples per rank… of 6, 4, 3, 2 ranks; not 5
        XCTAssertEqual(elastic.checkpointDir, "ck")
        XCTAssertThrowsError(try SpecSummary.parse("name: x\nparallel: {ranks: 2, min_ranks: 3}\n")) { XCTAssertTrue("\($0)".contains("min_ranks"), "\($0)") }
        XCTAssertThrowsError(try SpecSummary.parse("name: x\nparallel: {ranks: -2}\n")) { XCTAssertTrue("\($0)".contains("-2"), "\($0)") }
        XCTAssertThrowsError(try SpecSummary.parse("name: x\nparallel: {ranks: 2}\npriority: high\n")) { XCTAssertTrue("\($0)".contains("priority"), "\($0)") }
    }
}
