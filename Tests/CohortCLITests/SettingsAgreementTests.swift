// Collective settings must be equal on every rank: a rank whose value differs from rank 0's stops
// the job at start with one error naming the setting, here across two namespace nodes.
import Foundation
import XCTest

final class SettingsAgreementTests: XCTestCase {
    func testARankWithAnotherSliceSizeStopsEveryRankWithTheSettingNamed() throws {
        try TestNodes.available()
        let dir = CLI.tempDir()
        let nodes = try TestNodes(name: "cset\(getpid() % 100_000)", count: 2, dir: dir)
        defer {
            nodes.down()
            try? FileManager.default.removeItem(atPath: dir)
        }
        let args = ["bench", "allreduce", "--bytes", "4K", "--iterations", "1"]
        let same = try nodes.mpirun(environments: [["COHORT_RING_SLICE_BYTES": "4096"], ["COHORT_RING_SLICE_BYTES": "4096"]], args)
        XCTAssertEqual(same.status, 0, same.stderr)
        let differ = try nodes.mpirun(environments: [["COHORT_RING_SLICE_BYTES": "524288"], ["COHORT_RING_SLICE_BYTES": "4096"]], args)
        XCTAssertNotEqual(differ.status, 0)
        XCTAssertTrue(differ.stderr.contains("COHORT_RING_SLICE_BYTES differs between ranks: rank 0 runs with 524288, rank 1 with 4096"),
                      differ.stderr)
    }
}
