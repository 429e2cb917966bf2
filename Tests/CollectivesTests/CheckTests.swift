// Tests the fingerprint check and the timeout (Check.swift, MPICommunicator.waitAll) in real
// processes: a length mismatch, a skipped call and a silent peer must each end the whole
// mpirun quickly with one clear error naming the ranks and the calls.
import Collectives
import Foundation
import MPITestSupport
import XCTest

final class CheckTests: XCTestCase {
    func testLengthMismatchEndsEveryRankWithOneError() throws {
        guard let o = try ranks(3, ["COHORT_CHECK_COLLECTIVES": "1", "COHORT_COLLECTIVE_TIMEOUT": "20"], side: Self.lengthMismatch) else { return }
        XCTAssertNotEqual(o.status, 0, o.output)
        XCTAssertTrue(o.output.contains("collective mismatch: rank 0 called allReduce(sum) on 1000 float32 (collective #1) "
                                        + "but rank 1 called allReduce(sum) on 999 float32 (collective #1)"), o.output)
        XCTAssertFalse(o.output.contains("FAIL"), o.output)
    }

    func testLengthMismatchWithoutChecksIsCaughtOnTheSharedMemoryPath() throws {
        guard let o = try ranks(2, ["COHORT_CHECK_COLLECTIVES": "0", "COHORT_COLLECTIVE_TIMEOUT": "20"], side: Self.lengthMismatch) else { return }
        XCTAssertNotEqual(o.status, 0, o.output)
        // 1000 vs 999 floats: the same number of slices, so only the slices' stamps tell; whichever
        // rank reads the other's stamp first says so (rank 1 in a slower debug build).
        XCTAssertTrue(o.output.contains("collective mismatch: rank 0 called allReduce(sum) on 1000 float32 (collective #1) "
                                        + "but rank 1 called allReduce(sum) on 999 float32 (collective #1)")
                      || o.output.contains("collective mismatch: rank 1 called allReduce(sum) on 999 float32 (collective #1) "
                                           + "but rank 0 called allReduce(sum) on 1000 float32 (collective #1)"), o.output)
        XCTAssertFalse(o.output.contains("FAIL"), o.output)
    }

    func testSkippedCallIsAMismatch() throws {
        guard let o = try ranks(2, ["COHORT_CHECK_COLLECTIVES": "1", "COHORT_COLLECTIVE_TIMEOUT": "20"], side: Self.skippedCall) else { return }
        XCTAssertNotEqual(o.status, 0, o.output)
        XCTAssertTrue(o.output.contains("collective mismatch: rank 0 called allReduce(sum) on 10 float32 (collective #0) "
                                        + "but rank 1 called broadcast from rank 0 on 10 float32 (collective #0)"), o.output)
    }

    func testSilentPeerTimesOutInsteadOfHanging() throws {
        for check in ["1", "0"] {   // caught in the fingerprint exchange, or in the data path
            guard let o = try ranks(2, ["COHORT_CHECK_COLLECTIVES": check, "COHORT_COLLECTIVE_TIMEOUT": "2"], side: Self.silentPeer) else { return }
            XCTAssertNotEqual(o.status, 0, o.output)
            XCTAssertTrue(o.output.contains("collective timeout: rank 0 waited 2.0 s in allReduce(sum) on 1000 float32 (collective #0)"), o.output)
            XCTAssertLessThan(o.seconds, 25, "the run must end soon after the 2 s timeout")
        }
    }

    /// Runs the calling test in `n` ranks, each doing `side` (which must end its process).
    func ranks(_ n: Int, _ environment: [String: String], function: String = #function, side: () throws -> Void) throws -> MPIRun.Outcome? {
        let o = try MPIRun.onRanks(n, module: "CollectivesTests", type: Self.self, function: function,
                                   environment: environment, limit: 40, side: side)
        if let o { XCTAssertFalse(o.timedOut, "mpirun -np \(n) still running after 40 s: a hang") }
        return o
    }

    // The rank sides below are not tests: each rank of a test above runs one and exits.

    /// Prints the error a rank got, as cohort's top level would, and exits 3.
    static func report(_ rank: Int, _ error: Error) -> Never {
        print("RANK \(rank) error: \(error)")
        fflush(stdout)
        exit(3)
    }

    static func lengthMismatch() throws {
        let comm = try MPICommunicator()
        var a = [Float](repeating: 1, count: 1000)
        do {
            try a.withUnsafeMutableBufferPointer { try comm.allReduce($0) }                   // #0 agrees
            let count = comm.rank == 0 ? 1000 : 999
            try a.withUnsafeMutableBufferPointer { try comm.allReduce(UnsafeMutableBufferPointer(rebasing: $0[0 ..< count])) }
        } catch { Self.report(comm.rank, error) }
        MPIRun.fail(comm.rank, "a length mismatch did not throw")
    }

    static func skippedCall() throws {
        let comm = try MPICommunicator()
        var a = [Float](repeating: 1, count: 10)
        do {
            if comm.rank == 0 { try a.withUnsafeMutableBufferPointer { try comm.allReduce($0) } }  // rank 1 skips it
            try a.withUnsafeMutableBufferPointer { try comm.broadcast($0, root: 0) }
        } catch { Self.report(comm.rank, error) }
        MPIRun.fail(comm.rank, "a skipped call did not throw")
    }

    static func silentPeer() throws {
        let comm = try MPICommunicator()
        var a = [Float](repeating: 1, count: 1000)
        if comm.rank == 1 { sleep(60); exit(0) }   // never calls; mpirun ends it when rank 0 exits
        do { try a.withUnsafeMutableBufferPointer { try comm.allReduce($0) } } catch { Self.report(comm.rank, error) }
        MPIRun.fail(comm.rank, "waiting for a silent peer did not time out")
    }
}
