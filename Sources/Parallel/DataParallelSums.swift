// Implements: the small exchanges training needs beside the gradients, on DataParallel's comm
// thread: sums over ranks (loss sums and counts for metrics; sizes and CRCs for checkpoints),
// added in rank order so every rank gets the same bits, and the overlap timers.
import Collectives

extension DataParallel {
    /// Element-wise sums of `values` over ranks (metrics), added in rank order: the same on every rank.
    public func sumOverRanks(_ values: [Double]) throws -> [Double] {
        guard let comm, let queue, comm.size > 1 else { return values }
        return try queue.sync { try comm.sumOverRanks(values) }
    }

    /// Element-wise exact sums of `values` over ranks.
    public func sumOverRanks(_ values: [Int64]) throws -> [Int64] {
        guard let comm, let queue, comm.size > 1 else { return values }
        return try queue.sync { try comm.sumOverRanks(values) }
    }

    /// Seconds the comm thread spent reducing, and seconds the compute thread waited for it;
    /// 1 − waited/reducing is the share of communication hidden by overlap.
    public var reduceSeconds: Double { queue?.seconds.reducing ?? 0 }
    /// Seconds the compute thread waited for the comm thread.
    public var waitSeconds: Double { queue?.seconds.waiting ?? 0 }
    /// Sets both timers to zero.
    public func resetTimers() { queue?.resetTimers() }
}
