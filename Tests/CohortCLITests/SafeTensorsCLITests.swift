// `cohort export --format safetensors` and `cohort train --init-from`: a trained MLP's export
// starts another run (which scores as the export's checkpoint did before its first step), and a bad
// file is one `error:` line before any training.
import Foundation
import XCTest

final class SafeTensorsCLITests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func spec(hidden: String = "[40, 20]") -> String {
        let path = "\(dir)/s\(hidden.hashValue).yaml"
        try? """
        name: st
        model: {kind: mlp, hidden: \(hidden)}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 64, optimizer: adam, lr: 0.001, seed: 4, max_steps: 5}
        checkpoint: {every_steps: 5, keep: 1}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testExportThenInitFrom() throws {
        try XCTSkipUnless(CLI.haveData)
        let t = try CLI.run(["train", spec(), "--checkpoint-dir", "\(dir)/ck", "--plain"])
        XCTAssertEqual(t.status, 0, t.stderr)
        let e = try CLI.run(["export", "\(dir)/ck", "\(dir)/m.safetensors", "--format", "safetensors"])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stdout.contains("in 6 tensors"), e.stdout)
        let d = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/m.safetensors"))
        let n = Int(d.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = String(decoding: d[8 ..< 8 + n], as: UTF8.self)
        XCTAssertTrue(header.contains(#""1.weight":{"dtype":"F32","shape":[40,784],"data_offsets":[0,125440]}"#), header)
        XCTAssertTrue(header.contains("cohort_spec"), header)
        let again = try CLI.run(["train", spec(), "--init-from", "\(dir)/m.safetensors", "--checkpoint-dir", "\(dir)/ck2", "--plain"])
        XCTAssertEqual(again.status, 0, again.stderr)
        // Another model's weights: one line naming the tensor.
        let wrong = try CLI.run(["train", spec(hidden: "[30, 20]"), "--init-from", "\(dir)/m.safetensors", "--checkpoint-dir", "\(dir)/ck3"])
        XCTAssertEqual(wrong.status, 1)
        XCTAssertEqual(wrong.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                       "error: safetensors file \(dir)/m.safetensors: tensor '1.weight' has shape [40, 784]; the model's is [30, 784]")
        try Data("not safetensors".utf8).write(to: URL(fileURLWithPath: "\(dir)/bad.safetensors"))
        let bad = try CLI.run(["train", spec(), "--init-from", "\(dir)/bad.safetensors", "--checkpoint-dir", "\(dir)/ck4"])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderr.split(separator: "\n").count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.hasPrefix("error: safetensors file \(dir)/bad.safetensors: header length "), bad.stderr)
    }
}
