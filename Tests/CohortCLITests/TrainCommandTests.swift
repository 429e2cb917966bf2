// `cohort train` refuses bad input with one `error:` line and a non-zero exit.
import Foundation
import XCTest

final class TrainCommandTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func spec(_ body: String) -> String {
        let path = dir + "/spec.yaml"
        try? body.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    let valid = """
    name: t
    model: {kind: mlp, hidden: [16]}
    data: {kind: fashion-mnist}
    train: {epochs: 1, batch_per_rank: 32, optimizer: sgd, lr: 0.1, max_steps: 2}
    """

    func assertOneErrorLine(_ r: CLIResult, contains text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(r.status, 1, "exit status; stderr: \(r.stderr)", file: file, line: line)
        let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("error:") }
        XCTAssertEqual(errors.count, 1, r.stderr, file: file, line: line)
        XCTAssertTrue(r.stderr.contains(text), "expected '\(text)' in: \(r.stderr)", file: file, line: line)
        XCTAssertFalse(r.stderr.contains("Fatal error"), file: file, line: line)
    }

    func testMissingSpecFile() throws {
        assertOneErrorLine(try CLI.run(["train", dir + "/nope.yaml"]), contains: "error: job spec not found: \(dir)/nope.yaml")
    }

    func testUnknownKeyWrongTypeAndUnknownModel() throws {
        assertOneErrorLine(try CLI.run(["train", spec(valid + "\nwhatever: 1")]), contains: "unknown key 'whatever'")
        assertOneErrorLine(try CLI.run(["train", spec(valid.replacingOccurrences(of: "lr: 0.1", with: "lr: fast"))]),
                           contains: "train.lr: expected a number")
        assertOneErrorLine(try CLI.run(["train", spec(valid.replacingOccurrences(of: "kind: mlp", with: "kind: rnn"))]),
                           contains: "unknown model kind 'rnn'")
    }

    func testMissingAndCorruptDataset() throws {
        let s = spec(valid)
        let missing = try CLI.run(["train", s, "--data", dir + "/empty"])
        assertOneErrorLine(missing, contains: "Fashion-MNIST not found in \(dir)/empty")
        XCTAssertTrue(missing.stderr.contains("hint: install Debian's dataset-fashion-mnist"))
        // A corrupt copy: the real label file, and an image file cut short.
        let real = "/usr/share/datasets/fashion-mnist"
        try XCTSkipUnless(FileManager.default.fileExists(atPath: real + "/train-images-idx3-ubyte.gz"))
        let bad = dir + "/bad"
        try FileManager.default.createDirectory(atPath: bad, withIntermediateDirectories: true)
        let images = try Data(contentsOf: URL(fileURLWithPath: real + "/train-images-idx3-ubyte.gz"))
        try images.prefix(images.count / 2).write(to: URL(fileURLWithPath: bad + "/train-images-idx3-ubyte.gz"))
        try FileManager.default.copyItem(atPath: real + "/train-labels-idx1-ubyte.gz", toPath: bad + "/train-labels-idx1-ubyte.gz")
        assertOneErrorLine(try CLI.run(["train", s, "--data", bad]), contains: "\(bad)/train-images-idx3-ubyte.gz")
        try Data("not gzip at all".utf8).write(to: URL(fileURLWithPath: bad + "/train-images-idx3-ubyte.gz"))
        assertOneErrorLine(try CLI.run(["train", s, "--data", bad]), contains: "\(bad)/train-images-idx3-ubyte.gz")
    }

    func testBadFlagIsAUsageError() throws {
        let r = try CLI.run(["train", spec(valid), "--epochs", "0"])
        XCTAssertEqual(r.status, 64)
        XCTAssertTrue(r.stderr.contains("--epochs must be at least 1, got 0"), r.stderr)
    }

    func testATinyRunSucceeds() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
        let r = try CLI.run(["train", spec(valid), "--plain"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("final test accuracy"), r.stdout)
    }

    func testTrainingEndsWithACheckpointOfTheFinalStepThatEvalScores() throws {
        try XCTSkipUnless(FileManager.default.fileExists(atPath: "/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
        // One epoch of 10 steps, a checkpoint every 4: steps 4 and 8, then the final step 10.
        let s = spec("""
        name: t
        model: {kind: mlp, hidden: [16]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 6000, optimizer: adam, lr: 0.01}
        checkpoint: {every_steps: 4, keep: 5}
        """)
        let ck = dir + "/ck"
        let r = try CLI.run(["train", s, "--plain", "--checkpoint-dir", ck])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: ck + "/step-00000010/manifest.json"), "the final step's checkpoint")
        let accuracy = r.stdout.components(separatedBy: "final test accuracy ").last?.prefix(6) ?? ""
        let e = try CLI.run(["eval", ck])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(e.stdout.contains("step 10: test accuracy \(accuracy)"), "train printed \(accuracy); eval: \(e.stdout)")
    }
}
