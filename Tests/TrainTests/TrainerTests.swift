import Data
import Foundation
import NN
import Train
import XCTest

final class TrainerTests: XCTestCase {
    func spec(_ extra: String = "", hidden: Int = 64, batch: Int = 64) throws -> JobSpec {
        try JobSpec.parse("""
        name: t
        model: {kind: mlp, hidden: [\(hidden)]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: \(batch), optimizer: adam, lr: 0.002, seed: 5\(extra)}
        """, source: "test")
    }

    func requireData() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: FashionMNIST.directory(override: nil) + "/train-images-idx3-ubyte.gz"),
                          "dataset-fashion-mnist not installed")
    }

    func testOneEpochOfASmallMLPLearnsAndWritesMetrics() throws {
        try requireData()
        let metrics = NSTemporaryDirectory() + "cohort-metrics-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: metrics) }
        let summary = try Trainer(spec: spec(), options: TrainOptions(metricsPath: metrics)).run()
        XCTAssertEqual(summary.steps, 938)
        XCTAssertGreaterThan(summary.testAccuracy ?? 0, 0.82)
        let lines = try String(contentsOfFile: metrics, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 1)
        XCTAssertTrue(lines[0].contains("\"test_accuracy\""))
    }

    func testAccumulationOverMicroBatchesEqualsTheWholeBatch() throws {
        try requireData()
        let whole = try Trainer(spec: spec(", max_steps: 5"), options: TrainOptions(evaluate: false))
        _ = try whole.run()
        let split = try Trainer(spec: spec(", max_steps: 5, accumulation: 4"), options: TrainOptions(evaluate: false))
        _ = try split.run()
        let a = whole.model.store.params.array, b = split.model.store.params.array
        var worst: Float = 0
        for i in 0..<a.count { worst = max(worst, abs(a[i] - b[i]) / max(1e-3, abs(a[i]))) }
        XCTAssertLessThan(worst, 1e-3, "accumulated run differs, max relative \(worst)")
    }

    func testSameSeedSameParametersBitForBit() throws {
        try requireData()
        let r1 = try Trainer(spec: spec(", max_steps: 3"), options: TrainOptions(evaluate: false))
        _ = try r1.run()
        let r2 = try Trainer(spec: spec(", max_steps: 3"), options: TrainOptions(evaluate: false))
        _ = try r2.run()
        XCTAssertEqual(r1.model.store.params.array, r2.model.store.params.array)
    }
}
