import Train
import XCTest

final class JobSpecTests: XCTestCase {
    let good = """
    name: t
    model: {kind: mlp, hidden: [32]}
    data: {kind: fashion-mnist}
    train: {epochs: 1, batch_per_rank: 64, optimizer: adam, lr: 0.001, seed: 3}
    parallel: {ranks: 2, zero_stage: 1, bucket_mb: 4}
    checkpoint: {every_steps: 200, keep: 3}
    fault: {max_restarts: 3}
    """

    func message(_ text: String) -> String {
        do { _ = try JobSpec.parse(text, source: "s.yaml"); return "accepted" } catch { return "\(error)" }
    }

    func testTheExampleShapeParses() throws {
        let s = try JobSpec.parse(good, source: "s.yaml")
        XCTAssertEqual(s.model.hidden, [32])
        XCTAssertEqual(s.seed, 3)
        XCTAssertEqual(s.ranks, 2)
        XCTAssertEqual(s.makeModel().parameterCount, 784 * 32 + 32 + 32 * 10 + 10)
    }

    func testUnknownKeyIsNamedWithItsPath() {
        XCTAssertEqual(message(good.replacingOccurrences(of: "lr: 0.001", with: "lr: 0.001, lrr: 2")),
                       "invalid job spec s.yaml: unknown key 'train.lrr'; did you mean 'lr'? (allowed here: accumulation, batch_per_rank, betas, clip_norm, epochs, eps, eval_every, global_batch, init_from, lr, max_steps, momentum, optimizer, schedule, seed, steps, weight_decay)")
        XCTAssertTrue(message(good + "\nextra: 1").contains("unknown key 'extra'"))
    }

    func testWrongTypesAndValuesAreNamed() {
        XCTAssertEqual(message(good.replacingOccurrences(of: "epochs: 1", with: "epochs: many")),
                       "invalid job spec s.yaml: train.epochs: expected an integer")
        XCTAssertEqual(message(good.replacingOccurrences(of: "kind: mlp", with: "kind: transformer")),
                       "invalid job spec s.yaml: model.kind: unknown model kind 'transformer' (expected mlp, cnn or gpt)")
        XCTAssertEqual(message(good.replacingOccurrences(of: "seed: 3", with: "seed: 3, accumulation: 5")),
                       "invalid job spec s.yaml: train.accumulation: 5 does not divide train.batch_per_rank 64")
        XCTAssertTrue(message(good.replacingOccurrences(of: "name: t\n", with: "")).contains("missing key 'name'"))
        XCTAssertTrue(message("model: [1, 2").contains("not valid YAML"))
        XCTAssertTrue(message("- 1").contains("expected a mapping"))
        XCTAssertTrue(message(good.replacingOccurrences(of: "zero_stage: 1", with: "zero_stage: 7")).contains("parallel.zero_stage"))
        XCTAssertTrue(message(good.replacingOccurrences(of: "train: {", with: "train: 3\nx: {")).contains("train: expected a mapping"))
    }

    func testElasticJobsSplitAGlobalBatch() throws {
        let elastic = good.replacingOccurrences(of: "batch_per_rank: 64", with: "global_batch: 96, accumulation: 2")
            .replacingOccurrences(of: "ranks: 2,", with: "ranks: 3, min_ranks: 1,")
        let s = try JobSpec.parse(elastic, source: "s.yaml")
        XCTAssertEqual(try s.batchPerRank(worldSize: 3), 32)
        XCTAssertEqual(try s.batchPerRank(worldSize: 2), 48)
        XCTAssertEqual(try s.batchPerRank(worldSize: 1), 96)
        XCTAssertThrowsError(try s.batchPerRank(worldSize: 5)) { XCTAssertTrue("\($0)".contains("does not split into 5 rank(s) × 2"), "\($0)") }
        XCTAssertEqual(try JobSpec.parse(good, source: "s.yaml").batchPerRank(worldSize: 5), 64)
        XCTAssertTrue(message(good.replacingOccurrences(of: "ranks: 2,", with: "ranks: 2, min_ranks: 1,"))
            .contains("must give train.global_batch instead of batch_per_rank"))
        XCTAssertEqual(message(good.replacingOccurrences(of: "batch_per_rank: 64", with: "batch_per_rank: 64, global_batch: 128")),
                       "invalid job spec s.yaml: train: give batch_per_rank or global_batch, not both")
        XCTAssertEqual(message(good.replacingOccurrences(of: "batch_per_rank: 64", with: "global_batch: 127")),
                       "invalid job spec s.yaml: train.global_batch: 127 does not split over parallel.ranks 2")
        XCTAssertTrue(message(good.replacingOccurrences(of: "batch_per_rank: 64, ", with: "")).contains("missing key 'train.batch_per_rank' (or 'train.global_batch')"))
    }

    func testMissingFileIsNamed() {
        XCTAssertThrowsError(try JobSpec.load(path: "/nonexistent/spec.yaml")) { e in
            XCTAssertEqual("\(e)", "invalid job spec /nonexistent/spec.yaml: no such file")
        }
    }
}
