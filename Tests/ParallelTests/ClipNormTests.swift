// Global-norm clipping and per-tensor weight decay in DataParallel, in real processes: with
// clipping on (and AdamW decaying ≥2-D weights only), N ranks × batch B end with the parameters of
// 1 rank × batch N·B within 1e-5 relative, at ZeRO stages 0, 1 and 2 on 2 and 3 ranks; every rank
// sees bitwise the same gradient norm each step, and it is the single-rank norm within 1e-5.
import Collectives
import Foundation
import MPITestSupport
import NN
import Parallel
import Tensor
import XCTest

final class ClipNormTests: XCTestCase {
    static let steps = 5, perRank = 6, features = 20, classes = 5, clip: Float = 0.05
    static let kind = OptimizerKind.adam(beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, decoupled: true)

    func testStageZeroOnTwoAndThreeRanks() throws { try compare(stage: 0) }
    func testStageOneOnTwoAndThreeRanks() throws { try compare(stage: 1) }
    func testStageTwoOnTwoAndThreeRanks() throws { try compare(stage: 2) }
    func testStageOneWithPrivateBuffersOnTwoRanks() throws { try compare(stage: 1, ranks: [2], shared: false) }

    /// The parameters and per-step norms of `ranks` ranks against one rank with the whole batch.
    func compare(stage: Int, ranks: [Int] = [2, 3], shared: Bool = true, function: String = #function) throws {
        if MPIRun.isRankSide { return try Self.rankSide() }
        for n in ranks {
            let (want, wantNorms) = Self.train(rank: 0, ranks: n, stage: 0, comm: nil, worker: nil)
            XCTAssertTrue(wantNorms.allSatisfy { $0 > Double(Self.clip) }, "the test must clip: norms \(wantNorms)")
            let out = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-clip-\(UUID().uuidString)").path
            defer { for r in 0..<n { try? FileManager.default.removeItem(atPath: "\(out).rank\(r)") } }
            let o = try XCTUnwrap(MPIRun.run(ranks: n, test: MPIRun.testName(module: "ParallelTests", type: Self.self, function: function),
                                             environment: ["COHORT_TEST_STAGE": "\(stage)", "COHORT_TEST_OUT": out,
                                                           "COHORT_NODE_SHARED": shared ? "1" : "0"]))
            XCTAssertFalse(o.timedOut, "a hang")
            XCTAssertEqual(o.status, 0, o.output)
            var norms: [String] = []
            for r in 0..<n {
                let line = o.output.split(separator: "\n").first { $0.hasPrefix("RANK \(r) NORMS ") }
                norms.append(line.map { String($0.dropFirst("RANK \(r) NORMS ".count)) } ?? "missing")
                let got = try Data(contentsOf: URL(fileURLWithPath: "\(out).rank\(r)")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                var worst: Float = 0, at = 0
                for i in 0..<want.count where abs(got[i] - want[i]) / max(abs(want[i]), 1) > worst {
                    worst = abs(got[i] - want[i]) / max(abs(want[i]), 1); at = i
                }
                XCTAssertLessThanOrEqual(worst, 1e-5, "stage \(stage), \(n) ranks, rank \(r): element \(at) differs by \(worst)")
            }
            XCTAssertTrue(norms.allSatisfy { $0 == norms[0] }, "stage \(stage), \(n) ranks: norms differ between ranks: \(norms)")
            let got = norms[0].split(separator: " ").compactMap { UInt64($0) }.map { Double(bitPattern: $0) }
            XCTAssertEqual(got.count, Self.steps, o.output)
            for (g, w) in zip(got, wantNorms) { XCTAssertEqual(g, w, accuracy: 1e-5 * w, "stage \(stage), \(n) ranks: norm") }
        }
    }

    /// Trains the model for `steps` steps on this rank's rows of each global batch of N·B samples
    /// (all of them with one process); returns the parameters and the gradient norm of every step.
    static func train(rank: Int, ranks: Int, stage: Int, comm: Communicator?, worker: CommThread?) -> ([Float], [Double]) {
        let model = Models.mlp(input: features, hidden: [13, 7], classes: classes)
        model.initialize(seed: 3)
        let dp = DataParallel(model: model, comm: comm, worker: worker, bucketBytes: 300, stage: stage,
                              optimizer: kind, learningRate: 0.01, clipNorm: clip, noDecay: { $0.shape.count < 2 })
        do { try dp.broadcastParameters() } catch { MPIRun.fail(rank, "broadcastParameters: \(error)") }
        let loss = SoftmaxCrossEntropy()
        let rows = comm == nil ? ranks * perRank : perRank, first = comm == nil ? 0 : rank * perRank
        var norms: [Double] = []
        for step in 0..<steps {
            var rng = RNG(seed: 100 + UInt64(step))
            let all = (0..<(ranks * perRank * features)).map { _ in rng.normal() }
            let labels = (0..<(ranks * perRank)).map { _ in Int32(rng.below(classes)) }
            let x = Tensor(Array(all[(first * features)..<((first + rows) * features)]), shape: [rows, features])
            let logits = model.forward(x)
            let r = Array(labels[first..<(first + rows)]).withUnsafeBufferPointer { loss.evaluate(logits, labels: $0.baseAddress!, denominator: rows) }
            dp.backward(r.dlogits, accumulate: false, reduce: true)
            do { try dp.finishReduction(); try dp.step() } catch { MPIRun.fail(rank, "step \(step): \(error)") }
            norms.append(dp.gradientNorm)
        }
        return (model.store.params.array, norms)
    }

    /// One rank of `compare`: trains, writes its parameters, prints its norms as bit patterns.
    static func rankSide() throws {
        let env = ProcessInfo.processInfo.environment
        let worker = CommThread()
        let comm = try worker.sync { try MPICommunicator() }
        let (params, norms) = train(rank: comm.rank, ranks: comm.size, stage: Int(env["COHORT_TEST_STAGE"]!)!, comm: comm, worker: worker)
        try params.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: "\(env["COHORT_TEST_OUT"]!).rank\(comm.rank)")) }
        print("RANK \(comm.rank) NORMS " + norms.map { "\($0.bitPattern)" }.joined(separator: " "))
        fflush(stdout)
        try worker.sync { try comm.finalize() }
        worker.stop()
    }
}
