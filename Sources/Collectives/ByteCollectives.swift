// Implements: the typed collectives over bytes: MPICommunicator's `allGather(bytes:into:)` and,
// on any Communicator, gathers and exact sums of Int64, UInt64 and Double values built on it.
// Integers, hashes, byte counts and CRCs go through these, never through a Float collective.
// A sum adds the ranks' values in rank order on every rank, so all ranks get the same bits.
import CMPI
import CMPIShim

extension MPICommunicator {
    /// Every rank sends `mine` to every other rank (2(N−1) small messages, like the fingerprints).
    /// The corresponding MPI call would be `MPI_Allgather` on `MPI_BYTE`; point-to-point messages
    /// keep libnbc's progress hook out of every later `MPI_Test` (see `barrier`).
    public func allGather(bytes mine: UnsafeRawBufferPointer, into all: UnsafeMutableRawBufferPointer) throws {
        let n = mine.count
        guard all.count == n * size else {
            throw CollectiveError.invalidArgument("allGather(bytes:) of \(n) bytes needs \(n * size) bytes of output, got \(all.count)")
        }
        if n > 0 { (all.baseAddress! + rank * n).copyMemory(from: mine.baseAddress!, byteCount: n) }
        try collective(.allGatherBytes, count: n) {
            guard n > 0 else { return }
            let count = try messageCount(n)
            try ensureRequests(2 * (size - 1))
            var k = 0
            for peer in 0..<size where peer != rank {
                try mpiCheck(MPI_Irecv(all.baseAddress! + peer * n, count, CMPIShim_BYTE(), Int32(peer), Tag.bytes, collComm, requests + k), "MPI_Irecv")
                k += 1
            }
            for peer in 0..<size where peer != rank {
                try mpiCheck(MPI_Isend(mine.baseAddress, count, CMPIShim_BYTE(), Int32(peer), Tag.bytes, collComm, requests + k), "MPI_Isend")
                k += 1
            }
            try waitAll(requests, k, waitingFor: "the bytes of all other ranks")
        }
    }
}

public extension Communicator {
    /// Every rank's `values` (the same count on every rank), rank 0's first.
    func allGather<T: BitwiseCopyable>(_ values: [T]) throws -> [T] {
        var all = [T](unsafeUninitializedCapacity: values.count * size) { _, n in n = values.count * size }
        try values.withUnsafeBytes { mine in try all.withUnsafeMutableBytes { try allGather(bytes: mine, into: $0) } }
        return all
    }

    /// Element-wise sums over ranks, exact (wrapping on overflow), the same on every rank.
    func sumOverRanks(_ values: [Int64]) throws -> [Int64] {
        let all = try allGather(values)
        return (0..<values.count).map { i in (0..<size).reduce(Int64(0)) { $0 &+ all[$1 * values.count + i] } }
    }

    /// Element-wise sums over ranks, added in rank order: the same bits on every rank.
    func sumOverRanks(_ values: [Double]) throws -> [Double] {
        let all = try allGather(values)
        return (0..<values.count).map { i in (0..<size).reduce(0.0) { $0 + all[$1 * values.count + i] } }
    }
}
