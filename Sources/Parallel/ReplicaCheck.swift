// Implements: the replica check of data-parallel training: an FNV-1a hash of the parameters'
// bits, compared with rank 0's on every rank (`cohort train --check-replicas`).
import Collectives
import NN

extension DataParallel {
    /// FNV-1a over the bit patterns of every parameter.
    public func parameterHash() -> UInt64 {
        let p = UnsafeRawPointer(model.store.params.pointer).assumingMemoryBound(to: UInt32.self)
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<model.store.params.count { h = (h ^ UInt64(p[i])) &* 0x100_0000_01b3 }
        return h
    }

    /// Checks that every rank holds bitwise the same parameters as rank 0.
    /// - Throws: `ReplicaMismatch` naming how many ranks differ (the same error on every rank).
    /// Finishes a step left to the next forward first (`settle()`). Between local SGD's syncs,
    /// where the replicas differ on purpose, there is nothing to check.
    public func checkReplicasIdentical(step: Int) throws {
        guard let comm, let worker, comm.size > 1 else { return }
        try settle()
        guard parameters.replicasAgree else { return }
        let h = parameterHash()
        let all: [UInt64] = try worker.sync { try comm.allGather([h]) }   // every rank sees every hash
        let differing = all.filter { $0 != all[0] }.count
        if differing > 0 { throw ReplicaMismatch(step: step, ranks: differing) }
    }
}

/// Replicas that should be identical are not.
public struct ReplicaMismatch: Error, CustomStringConvertible {
    /// The step after which the check ran, and how many ranks differ from rank 0.
    public let step: Int, ranks: Int
    /// One line with the step and the number of differing ranks.
    public var description: String { "after step \(step), the parameters of \(ranks) rank(s) differ from rank 0's" }
}
