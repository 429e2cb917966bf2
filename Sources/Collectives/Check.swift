// Implements: the entry of every collective: sequence numbering and, when
// `settings.checkCollectives` is on, the fingerprint exchange that turns "ranks called
// different collectives" into one CollectiveError.mismatch on every rank instead of a hang.
import CMPI
import CMPIShim

extension MPICommunicator {
    /// Numbers the call, checks that all ranks agree on it, then runs `body` (unless size is 1).
    ///
    /// - Parameters:
    ///   - op: The collective.
    ///   - count: Its element count.
    ///   - root: Root rank of a broadcast, -1 otherwise.
    ///   - body: The data movement; runs only with more than one rank.
    /// - Throws: `.mismatch`, `.timeout`, `.mpi`, or whatever `body` throws.
    func collective(_ op: CallFingerprint.Operation, count: Int, root: Int = -1, _ body: () throws -> Void) throws {
        let fingerprint = CallFingerprint(op, count: count, root: root, sequence: sequence)
        sequence += 1
        currentFingerprint = fingerprint
        guard size > 1 else { return }
        try operation("\(fingerprint)") {
            if settings.checkCollectives { try exchangeFingerprints(fingerprint) }
            try body()
        }
    }

    /// Sends this rank's fingerprint to every other rank and compares all of them.
    ///
    /// Every rank receives the same `size` fingerprints and compares each with rank 0's, so every
    /// rank throws the same error naming the same two ranks. Cost: 2(N−1) messages of 40 bytes.
    /// A rank that skipped this call and is blocked elsewhere shows up as a timeout here.
    func exchangeFingerprints(_ mine: CallFingerprint) throws {
        let w = CallFingerprint.words
        var all = [Int64](repeating: 0, count: size * w)
        let own = mine.encoded
        for i in 0..<w { all[rank * w + i] = own[i] }
        try ensureRequests(2 * (size - 1))
        try all.withUnsafeMutableBufferPointer { buf in
            let base = buf.baseAddress!
            var k = 0
            for peer in 0..<size where peer != rank {
                try mpiCheck(MPI_Irecv(base + peer * w, Int32(w), CMPIShim_INT64(), Int32(peer),
                                       Tag.fingerprint, collComm, requests + k), "MPI_Irecv")
                k += 1
            }
            for peer in 0..<size where peer != rank {
                try mpiCheck(MPI_Isend(base + rank * w, Int32(w), CMPIShim_INT64(), Int32(peer),
                                       Tag.fingerprint, collComm, requests + k), "MPI_Isend")
                k += 1
            }
            try waitAll(requests, k, waitingFor: "the call fingerprints of all other ranks")
            let first = CallFingerprint(encoded: UnsafeBufferPointer(start: base, count: w))
            for peer in 1..<size {
                let other = CallFingerprint(encoded: UnsafeBufferPointer(start: base + peer * w, count: w))
                if other != first {
                    throw CollectiveError.mismatch(rank: 0, call: first, otherRank: peer, otherCall: other)
                }
            }
        }
    }
}
