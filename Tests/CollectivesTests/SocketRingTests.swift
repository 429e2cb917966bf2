// Tests the cross-node socket ring (SocketRing.swift) in real processes on this machine (the
// links run over loopback here; MultiNodeTests runs them between network namespaces): fp32 gives
// the MPI ring's bits for awkward lengths on 2 and 3 ranks; bf16 and fp16 give every rank the same
// bits, within the format's rounding of the exact mean, and error feedback makes the average of
// repeated reductions converge to the exact mean (rounding errors fed back, on 2 and 3 ranks).
import Collectives
import Foundation
import MPITestSupport
import XCTest

final class SocketRingTests: XCTestCase {
    func testSocketRingOn2Ranks() throws { try runRanks(2) }
    func testSocketRingOn3Ranks() throws { try runRanks(3) }

    func runRanks(_ n: Int, function: String = #function) throws {
        guard let outcome = try MPIRun.onRanks(n, module: "CollectivesTests", type: Self.self, function: function,
                                               environment: ["COHORT_SHARED_MEMORY": "0", "COHORT_SOCKET_RING": "always"],
                                               side: { try Self.rankSide() }) else { return }
        XCTAssertFalse(outcome.timedOut, "mpirun -np \(n) still running at the limit: a hang")
        XCTAssertEqual(outcome.status, 0, outcome.output)
        for r in 0 ..< n { XCTAssertTrue(outcome.output.contains("RANK \(r) OK"), outcome.output) }
    }

    /// Rank r's input element i: not small integers, so the order of additions shows in the bits.
    static func value(_ rank: Int, _ i: Int, _ salt: Int) -> Float {
        Float(sin(Double(i &* 7 &+ rank &* 1013 &+ salt)) * 3 + 0.001 * Double(rank))
    }

    /// The rank-side half, run by each rank under mpirun (not a test of its own).
    static func rankSide() throws {
        var settings = try CollectiveSettings.fromEnvironment()
        settings.checkCollectives = true
        settings.timeoutSeconds = 60
        let comm = try MPICommunicator(settings: settings)
        let n = comm.size, me = comm.rank
        guard comm.usesSockets, !comm.usesSharedMemory else { MPIRun.fail(me, "the socket ring is not in use") }
        for count in [0, 1, 2, 3, n + 1, 97, 1009, 65537, 1_000_003] {
            let a = UnsafeMutableBufferPointer<Float>.allocate(capacity: count), b = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { a.deallocate(); b.deallocate() }
            func fill(_ salt: Int) {
                for i in 0 ..< count { a[i] = Self.value(me, i, salt); b[i] = a[i] }
            }
            func compare(_ range: Range<Int>, _ what: String) {
                for i in range where a[i].bitPattern != b[i].bitPattern {
                    MPIRun.fail(me, "\(what), count \(count): element \(i) is \(a[i]) over sockets, \(b[i]) over MPI")
                }
            }
            let own = ShardLayout.chunk(me, count: count, ranks: n)
            for op in [ReduceOp.sum, .mean] {
                fill(1)
                try comm.allReduce(a, op: op)
                comm.settings.socketRing = false
                try comm.allReduce(b, op: op)
                comm.settings.socketRing = true
                compare(0 ..< count, "allReduce(\(op))")
                fill(2)
                try comm.reduceScatter(a, op: op)
                comm.settings.socketRing = false
                try comm.reduceScatter(b, op: op)
                comm.settings.socketRing = true
                compare(own, "reduceScatter(\(op))")
            }
            fill(3)
            try comm.allGather(a)
            comm.settings.socketRing = false
            try comm.allGather(b)
            comm.settings.socketRing = true
            compare(0 ..< count, "allGather")
            // The direct schedule: the ring's bits on 2 ranks (docs/cross-node.md), its value to
            // rounding on more, and the same bits on every rank.
            for op in [ReduceOp.sum, .mean] {
                fill(5)
                try comm.allReduce(b, op: op)
                comm.settings.directBelowBytes = Int.max
                try comm.allReduce(a, op: op)
                comm.settings.directBelowBytes = 0
                if n == 2 { compare(0 ..< count, "direct allReduce(\(op))") }
                for i in 0 ..< count where abs(a[i] - b[i]) > 1e-6 * max(1, abs(b[i])) {
                    MPIRun.fail(me, "direct allReduce(\(op)), count \(count): element \(i) is \(a[i]), the ring's \(b[i])")
                }
                let peer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
                defer { peer.deallocate() }
                _ = peer.update(fromContentsOf: a)
                try comm.broadcast(peer, root: 0)
                for i in 0 ..< count where peer[i].bitPattern != a[i].bitPattern {
                    MPIRun.fail(me, "direct allReduce(\(op)), count \(count): element \(i) is \(a[i]) here, \(peer[i]) on rank 0")
                }
            }
            for format in [WireFormat.bf16, .fp16] { try checkSixteenBit(comm, count: count, format: format) }
        }
        try comm.finalize()
        print("RANK \(me) OK")
    }

    /// 16-bit allreduce (mean): the same bits on every rank, close to the exact mean; with error
    /// feedback the average of 32 reductions of the same input converges to the exact mean.
    static func checkSixteenBit(_ comm: MPICommunicator, count: Int, format: WireFormat) throws {
        let n = comm.size, me = comm.rank
        guard count > 0 else { return }
        let x = UnsafeMutableBufferPointer<Float>.allocate(capacity: count), residual = UnsafeMutablePointer<Float>.allocate(capacity: count)
        let sum = UnsafeMutablePointer<Double>.allocate(capacity: count), peer = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
        defer { x.deallocate(); residual.deallocate(); sum.deallocate(); peer.deallocate() }
        residual.initialize(repeating: 0, count: count)
        sum.initialize(repeating: 0, count: count)
        func exact(_ i: Int) -> Double { (0 ..< n).reduce(0.0) { $0 + Double(Self.value($1, i, 4)) } / Double(n) }
        let rounds = 32
        var firstError = 0.0
        for k in 0 ..< rounds {
            for i in 0 ..< count { x[i] = Self.value(me, i, 4) }
            try comm.allReduce(x, op: .mean, format: format, residual: residual)
            if k == 0 {
                for i in 0 ..< count { firstError = max(firstError, abs(Double(x[i]) - exact(i))) }
                // Rank 0's bits must be every rank's bits.
                peer.update(fromContentsOf: x)
                try comm.broadcast(peer, root: 0)
                for i in 0 ..< count where peer[i].bitPattern != x[i].bitPattern {
                    MPIRun.fail(me, "\(format) allReduce, count \(count): element \(i) is \(x[i]) here, \(peer[i]) on rank 0")
                }
                let bound = format == .bf16 ? 3.0 * 0.0079 : 3.0 * 0.001   // a few units of the last place at |x| ≤ 3
                if firstError > bound { MPIRun.fail(me, "\(format) allReduce, count \(count): error \(firstError) above \(bound)") }
            }
            for i in 0 ..< count { sum[i] += Double(x[i]) }
        }
        var averageError = 0.0
        for i in 0 ..< count { averageError = max(averageError, abs(sum[i] / Double(rounds) - exact(i))) }
        // Without feedback every round gives the same result (average error = one reduction's);
        // with it the sum of K rounds is off by one residual at most: ≤ one unit of the last place / K.
        let unit = 3.0 * (format == .bf16 ? 1.0 / 128 : 1.0 / 1024)
        if averageError > firstError / 4 && averageError > unit / Double(rounds) {
            MPIRun.fail(me, "\(format) error feedback, count \(count): average error \(averageError), one reduction \(firstError)")
        }
    }
}
