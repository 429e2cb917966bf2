// data.kind npy and tokens end to end: Fashion-MNIST written by this test as NumPy arrays trains to
// the same parameters, bit for bit, as the IDX files it came from (2 ranks, the same sampler); a
// token shard of a text's bytes trains the GPT exactly as the text does; bad files are one line.
import Foundation
import XCTest

final class DataKindTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// An .npy v1 file: header padded to 64 bytes, then `body`.
    static func npy(descr: String, shape: [Int], body: Data, fortran: Bool = false) -> Data {
        let dims = shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "")
        var h = "{'descr': '\(descr)', 'fortran_order': \(fortran ? "True" : "False"), 'shape': (\(dims)), }"
        while (10 + h.utf8.count + 1) % 64 != 0 { h += " " }
        h += "\n"
        let n = UInt16(h.utf8.count)
        var d = Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, UInt8(n & 0xFF), UInt8(n >> 8)])   // \x93NUMPY v1.0, header length
        d.append(Data(h.utf8)); d.append(body)
        return d
    }

    /// The bytes of a gzipped IDX file after its header.
    func idxBody(_ name: String, header: Int) throws -> Data {
        let r = try CLI.exec("/bin/sh", ["-c", "gzip -dc /usr/share/datasets/fashion-mnist/\(name) > \(dir)/raw"])
        XCTAssertEqual(r.status, 0, r.stderr)
        return try Data(contentsOf: URL(fileURLWithPath: "\(dir)/raw")).dropFirst(header)
    }

    func spec(_ data: String, name: String) -> String {
        let path = "\(dir)/\(name).yaml"
        try? """
        name: \(name)
        model: {kind: mlp, hidden: [64, 32]}
        data: \(data)
        train: {epochs: 1, batch_per_rank: 32, optimizer: adam, lr: 0.001, seed: 3, max_steps: 6}
        parallel: {ranks: 2, bucket_mb: 0.05}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func testFashionMNISTAsNumPyTrainsBitwiseAsIDX() throws {
        try XCTSkipUnless(CLI.haveData)
        let images = try idxBody("train-images-idx3-ubyte.gz", header: 16), labels = try idxBody("train-labels-idx1-ubyte.gz", header: 8)
        try Self.npy(descr: "|u1", shape: [60000, 28, 28], body: images).write(to: URL(fileURLWithPath: "\(dir)/x.npy"))
        var wide = Data(); for b in labels { withUnsafeBytes(of: Int64(b).littleEndian) { wide.append(contentsOf: $0) } }
        try Self.npy(descr: "<i8", shape: [60000], body: wide).write(to: URL(fileURLWithPath: "\(dir)/y.npy"))
        var out: [String: Data] = [:]
        for (name, data) in [("idx", "{kind: fashion-mnist}"), ("npy", "{kind: npy, inputs: \(dir)/x.npy, labels: \(dir)/y.npy}")] {
            let r = try CLI.mpirun(2, ["train", spec(data, name: name), "--dump-params", "\(dir)/\(name)", "--plain"])
            XCTAssertEqual(r.status, 0, r.stderr)
            out[name] = try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).rank0"))
        }
        XCTAssertFalse(out["idx"]!.isEmpty)
        XCTAssertEqual(out["idx"], out["npy"], "npy and IDX parameters differ")
    }

    func testTokenShardTrainsTheGPTAsItsBytesDo() throws {
        var s: UInt64 = 11, text = Data()
        let words = Array("to be, or not to be: that is the question\n".utf8)
        while text.count < 12_000 { s = s &* 6364136223846793005 &+ 1442695040888963407; text.append(words[Int(s >> 33) % words.count]) }
        try text.write(to: URL(fileURLWithPath: "\(dir)/corpus.txt"))
        var shard = Data(count: 1024)
        shard.withUnsafeMutableBytes { $0.storeBytes(of: Int32(20240520).littleEndian, toByteOffset: 0, as: Int32.self)
            $0.storeBytes(of: Int32(1).littleEndian, toByteOffset: 4, as: Int32.self)
            $0.storeBytes(of: Int32(text.count).littleEndian, toByteOffset: 8, as: Int32.self) }
        for b in text { withUnsafeBytes(of: UInt16(b).littleEndian) { shard.append(contentsOf: $0) } }
        try shard.write(to: URL(fileURLWithPath: "\(dir)/corpus.bin"))
        var out: [Data] = []
        for (name, data) in [("text", "{kind: text, files: [\(dir)/corpus.txt]}"), ("tokens", "{kind: tokens, files: [\(dir)/corpus.bin]}")] {
            let path = "\(dir)/\(name).yaml"
            try """
            name: \(name)
            model: {kind: gpt, layers: 1, heads: 2, dim: 16, context: 16}
            data: \(data)
            train: {steps: 4, global_batch: 4, optimizer: adamw, lr: 0.01, seed: 5}
            """.write(toFile: path, atomically: true, encoding: .utf8)
            let r = try CLI.mpirun(2, ["train", path, "--dump-params", "\(dir)/\(name)", "--plain"])
            XCTAssertEqual(r.status, 0, r.stderr)
            out.append(try Data(contentsOf: URL(fileURLWithPath: "\(dir)/\(name).rank0")))
        }
        XCTAssertFalse(out[0].isEmpty)
        XCTAssertEqual(out[0], out[1], "token shard and text parameters differ")
        // A wrong magic is one line naming the file.
        shard[0] = 0
        try shard.write(to: URL(fileURLWithPath: "\(dir)/bad.bin"))
        try "name: bad\nmodel: {kind: gpt, layers: 1, heads: 2, dim: 16, context: 16}\ndata: {kind: tokens, files: [\(dir)/bad.bin]}\ntrain: {steps: 1, global_batch: 2, optimizer: adamw, lr: 0.01}\n"
            .write(toFile: "\(dir)/bad.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["train", "\(dir)/bad.yaml"])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                       "error: data file \(dir)/bad.bin: not an llm.c token shard: magic 20240384, expected 20240520")
    }

    /// Each bad NumPy input is one `error:` line naming the problem.
    func testBadNumPyInputIsOneLine() throws {
        let ok = Self.npy(descr: "<f4", shape: [4, 28, 28], body: Data(count: 4 * 784 * 4))
        let labels = Self.npy(descr: "|u1", shape: [4], body: Data([0, 1, 2, 3]))
        let cases: [(x: Data, y: Data, expect: String)] = [
            (Self.npy(descr: "<f8", shape: [4, 28, 28], body: Data(count: 8 * 784 * 4)), labels, "dtype '<f8' is not one Cohort reads"),
            (Self.npy(descr: "<f4", shape: [4, 28, 28], body: Data(count: 4 * 784 * 4), fortran: true), labels, "is in Fortran order"),
            (Self.npy(descr: "<f4", shape: [4, 28, 28], body: Data(count: 12_000)), labels, "is truncated: expected 12544 bytes of data, got 12000"),
            (Self.npy(descr: "<f4", shape: [4, 2], body: Data(count: 32)), labels, "2 features per sample; model kind mlp takes 784"),
            (ok, Self.npy(descr: "|u1", shape: [4], body: Data([0, 1, 12, 3])), "label 12 at index 2 is outside 0..<10"),
            (ok, Self.npy(descr: "|u1", shape: [3], body: Data([0, 1, 2])), "has 4 samples"),
        ]
        for (i, c) in cases.enumerated() {
            try c.x.write(to: URL(fileURLWithPath: "\(dir)/x\(i).npy")); try c.y.write(to: URL(fileURLWithPath: "\(dir)/y\(i).npy"))
            let r = try CLI.run(["train", spec("{kind: npy, inputs: \(dir)/x\(i).npy, labels: \(dir)/y\(i).npy}", name: "bad\(i)")])
            let lines = r.stderr.split(separator: "\n")
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(lines.count, 1, r.stderr)
            XCTAssertTrue(r.stderr.hasPrefix("error: ") && r.stderr.contains(c.expect), "case \(i): \(r.stderr)")
        }
    }
}
