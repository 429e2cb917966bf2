// `cohort run` keeps its checkpoints under the current directory (checkpoints/<job name>, as
// `cohort train` does) and ends by printing commands that work as printed.
import Foundation
import XCTest

final class RunNextStepsTests: XCTestCase {
    func testRunKeepsCheckpointsAndItsPrintedCommandsWork() throws {
        guard CLI.haveData else { throw XCTSkip("Fashion-MNIST is not installed (dataset-fashion-mnist)") }
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try """
        name: tiny-run
        model: {kind: mlp, hidden: [16]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 32, optimizer: sgd, lr: 0.05, max_steps: 4}
        parallel: {ranks: 1}
        checkpoint: {every_steps: 2}
        """.write(toFile: dir + "/tiny.yaml", atomically: true, encoding: .utf8)
        let r = try CLI.run(["run", "tiny.yaml"], cwd: dir)
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stderr.contains("checkpoints in \(dir)/checkpoints/tiny-run"), r.stderr)
        let commands = r.stderr.split(separator: "\n").compactMap { line -> [String]? in
            guard let at = line.range(of: "cohort ") else { return nil }
            let words = line[at.upperBound...].split(separator: " ").map(String.init)
            return ["eval", "export"].contains(words.first ?? "") ? words : nil
        }
        XCTAssertEqual(commands.map { $0[0] }, ["eval", "export"], r.stderr)
        for c in commands {
            let out = try CLI.run(c, cwd: dir)
            XCTAssertEqual(out.status, 0, "cohort \(c.joined(separator: " ")): \(out.stderr)")
        }
        XCTAssertTrue(FileManager.default.fileExists(atPath: dir + "/checkpoints/tiny-run.f32"))
    }
}
