// Tests CollectiveSettings.fromEnvironment and the texts of CallFingerprint and CollectiveError.
import Collectives
import XCTest

final class CollectiveSettingsTests: XCTestCase {
    func testEnvironmentOverridesDefaults() throws {
        let s = try CollectiveSettings.fromEnvironment(["COHORT_CHECK_COLLECTIVES": "1", "COHORT_COLLECTIVE_TIMEOUT": "2.5",
                                                        "COHORT_RING_SLICE_BYTES": "4096", "COHORT_SHARED_MEMORY": "0",
                                                        "COHORT_SHARED_SLICE_BYTES": "8192", "COHORT_NODE_SHARED": "off"])
        XCTAssertTrue(s.checkCollectives)
        XCTAssertEqual(s.timeoutSeconds, 2.5)
        XCTAssertEqual(s.sliceBytes, 4096)
        XCTAssertFalse(s.sharedMemory)
        XCTAssertEqual(s.sharedSliceBytes, 8192)
        XCTAssertFalse(s.nodeShared)
        XCTAssertTrue(try CollectiveSettings.fromEnvironment([:]).sharedMemory)
        XCTAssertTrue(try CollectiveSettings.fromEnvironment([:]).nodeShared)
        XCTAssertNil(try CollectiveSettings.fromEnvironment(["COHORT_COLLECTIVE_TIMEOUT": "0"]).timeoutSeconds)
    }

    func testBadEnvironmentValuesAreNamed() {
        for (name, value) in [("COHORT_CHECK_COLLECTIVES", "maybe"), ("COHORT_COLLECTIVE_TIMEOUT", "-1"),
                              ("COHORT_COLLECTIVE_TIMEOUT", "soon"), ("COHORT_RING_SLICE_BYTES", "0"),
                              ("COHORT_SHARED_MEMORY", "maybe"), ("COHORT_SHARED_SLICE_BYTES", "2"), ("COHORT_NODE_SHARED", "2")] {
            XCTAssertThrowsError(try CollectiveSettings.fromEnvironment([name: value])) { error in
                XCTAssertTrue("\(error)".contains(name) && "\(error)".contains(value), "\(error)")
            }
        }
    }

    func testMismatchMessageNamesBothRanksAndCalls() {
        let a = CallFingerprint(.allReduceSum, count: 1000, sequence: 3)
        let b = CallFingerprint(.allReduceSum, count: 999, sequence: 3)
        XCTAssertEqual("\(CollectiveError.mismatch(rank: 0, call: a, otherRank: 1, otherCall: b))",
                       "collective mismatch: rank 0 called allReduce(sum) on 1000 float32 (collective #3) "
                       + "but rank 1 called allReduce(sum) on 999 float32 (collective #3)")
        XCTAssertEqual("\(CallFingerprint(.broadcast, count: 5, root: 2, sequence: 0))",
                       "broadcast from rank 2 on 5 float32 (collective #0)")
    }
}
