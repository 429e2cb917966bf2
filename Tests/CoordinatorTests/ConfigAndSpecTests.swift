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
        XCTAssertFalse(c.syncEveryCommit)
        XCTAssertTrue(try CoordinatorConfig.parse("sync_every_commit: true\n", source: "c.yaml").syncEveryCommit)
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
                               ("colour: red\n", "unknown key colour"), ("max_frame_bytes: 10\n", "max_frame_bytes"),
                               ("sync_every_commit: 1\n", "sync_every_commit must be true or false")] {
            XCTAssertThrowsError(try CoordinatorConfig.parse(yaml, source: "c.yaml")) { e in
                XCTAssertTrue("\(e)".contains(needle), "\(e)")
                XCTAssertTrue("\(e)".contains("c.yaml"), "\(e)")
            }
        }
    }

    /// A valid spec with `train` and `parallel` as given (flow mappings' contents).
    func spec(_ name: String = "x", train: String = "batch_per_rank: 8", parallel: String, extra: String = "") -> String {
        "name: \(name)\nmodel: {kind: mlp, hidden: [16]}\ndata: {kind: fashion-mnist}\n"
            + "train: {epochs: 1, optimizer: sgd, lr: 0.1, \(train)}\nparallel: {\(parallel)}\n" + extra
    }

    func testSpecSummary() throws {
        let s = try SpecSummary.parse(spec("fashion-mlp", train: "global_batch: 512", parallel: "ranks: 2, min_ranks: 1",
                                           extra: "fault: {max_restarts: 3}\npriority: 4\n"))
        XCTAssertEqual(s, SpecSummary(name: "fashion-mlp", ranks: 2, priority: 4, maxRestarts: 3, minRanks: 1, globalBatch: 512))
        XCTAssertEqual(s.restartSizes, [2, 1])
        XCTAssertThrowsError(try SpecSummary.parse(spec(parallel: "ranks: 2, min_ranks: 1"))) {
            XCTAssertTrue("\($0)".contains("must give train.global_batch"), "\($0)")
        }
        let elastic = try SpecSummary.parse(spec("e", train: "global_batch: 120, accumulation: 5", parallel: "ranks: 6, min_ranks: 2",
                                                 extra: "checkpoint: {dir: ck}\n"))
        XCTAssertEqual(elastic.restartSizes, [6, 4, 3, 2])  // 120/5 = 24 samples per rank… of 6, 4, 3, 2 ranks; not 5
        XCTAssertEqual(elastic.checkpointDir, "ck")
        XCTAssertThrowsError(try SpecSummary.parse(spec(parallel: "ranks: 2, min_ranks: 3"))) { XCTAssertTrue("\($0)".contains("min_ranks"), "\($0)") }
        XCTAssertThrowsError(try SpecSummary.parse(spec(parallel: "ranks: -2"))) { XCTAssertTrue("\($0)".contains("-2"), "\($0)") }
        XCTAssertThrowsError(try SpecSummary.parse(spec(parallel: "ranks: 2", extra: "priority: high\n"))) { XCTAssertTrue("\($0)".contains("priority"), "\($0)") }
        // The trainer's schema is the coordinator's: an unknown key is refused at submit, by name.
        XCTAssertThrowsError(try SpecSummary.parse(spec(parallel: "ranks: 2", extra: "test_sleep: 1\n"))) { XCTAssertTrue("\($0)".contains("unknown key 'test_sleep'"), "\($0)") }
        XCTAssertThrowsError(try SpecSummary.parse(spec(parallel: "ranks: 2, rnaks: 3"))) { XCTAssertTrue("\($0)".contains("parallel.rnaks"), "\($0)") }
        XCTAssertThrowsError(try SpecSummary.parse(spec("\"evil\\e[31m\"", parallel: "ranks: 1"))) { XCTAssertTrue("\($0)".contains("control characters"), "\($0)") }
    }
}
