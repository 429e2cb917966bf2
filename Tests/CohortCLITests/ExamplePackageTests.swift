// The examples/ package, a user's own program on the Cohort library (a residual MLP on spirals),
// run under mpirun: 2 ranks × B equal 1 rank × 2B within 1e-5 at ZeRO-1, and a run checkpointed
// halfway and resumed ends bit for bit where an uninterrupted one does. `make example` builds it.
import Foundation
import XCTest

final class ExamplePackageTests: XCTestCase {
    var dir = ""
    override func setUp() { dir = CLI.tempDir() }
    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    /// examples/.build/<debug|release>/ResidualMLP, the newer if both were built (`make example`
    /// builds debug unless EXAMPLE_CONFIG says otherwise).
    var example: String {
        let candidates = ["debug", "release"].map { "\(CLI.root)/examples/.build/\($0)/ResidualMLP" }
        func modified(_ p: String) -> Date {
            ((try? FileManager.default.attributesOfItem(atPath: p))?[.modificationDate] as? Date) ?? .distantPast
        }
        return candidates.max { modified($0) < modified($1) }!
    }

    func run(_ ranks: Int, _ args: [String]) throws -> String {
        let r = ranks == 1 ? try CLI.exec(example, args)
            : try CLI.exec("/usr/bin/env", ["mpirun", "--allow-run-as-root", "--oversubscribe", "-np", "\(ranks)",
                                             "--mca", "btl", "self,vader", example] + args)
        XCTAssertEqual(r.status, 0, r.stderr)
        return r.stdout
    }

    func testTwoRanksEqualOneRankAndResumeIsBitwise() throws {
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: example), "\(example) is missing: run 'make example'")
        guard FileManager.default.isExecutableFile(atPath: example) else { return }
        _ = try run(1, ["--batch", "64", "--steps", "40", "--out", "\(dir)/one.bin"])
        let whole = try run(2, ["--batch", "32", "--steps", "40", "--zero", "1", "--checkpoints", "\(dir)/a", "--every", "20",
                                "--out", "\(dir)/two.bin"])
        let one = try CLI.floats("\(dir)/one.bin"), two = try CLI.floats("\(dir)/two.bin")
        XCTAssertEqual(one.count, two.count)
        var worst: Float = 0, at = 0
        for i in 0..<min(one.count, two.count) where abs(one[i] - two[i]) / max(abs(one[i]), 1) > worst {
            worst = abs(one[i] - two[i]) / max(abs(one[i]), 1); at = i
        }
        XCTAssertLessThanOrEqual(worst, 1e-5, "2×32 vs 1×64: element \(at) differs by \(worst)")

        _ = try run(2, ["--batch", "32", "--steps", "20", "--zero", "1", "--checkpoints", "\(dir)/b", "--every", "20"])
        let resumed = try run(2, ["--batch", "32", "--steps", "40", "--zero", "1", "--checkpoints", "\(dir)/b", "--every", "20",
                                  "--resume", "--out", "\(dir)/resumed.bin"])
        XCTAssertTrue(resumed.contains("\"resumed_at\": 20"), resumed)
        XCTAssertEqual(try CLI.floats("\(dir)/resumed.bin"), two, "resumed run differs from the uninterrupted one")
        XCTAssertEqual(resumed, whole.replacingOccurrences(of: "\"resumed_at\": 0", with: "\"resumed_at\": 20"))
    }
}
