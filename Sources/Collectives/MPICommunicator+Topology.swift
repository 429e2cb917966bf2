// Implements: what an MPICommunicator learns at start about where its ranks run (the number of
// nodes, this rank's node-local rank) and the tuning table it reads for the socket ring
// (AlgorithmTable.swift), loaded on every rank and checked to agree, so that a missing or
// mismatched file on any node stops every rank with one error instead of a hang.
import CMPI
import CMPIShim
import Foundation

extension MPICommunicator {
    /// (nodes, node-local rank, ranks on this node). Collective over `world`.
    static func topology(world: MPI_Comm, rank: Int, size: Int) throws -> (nodes: Int, localRank: Int, localSize: Int) {
        var node: MPI_Comm? = CMPIShim_COMM_NULL()
        try mpiCheck(MPI_Comm_split_type(world, CMPIShim_COMM_TYPE_SHARED, Int32(rank), CMPIShim_INFO_NULL(), &node), "MPI_Comm_split_type")
        var localRank: Int32 = 0, localSize: Int32 = 0
        try mpiCheck(MPI_Comm_rank(node, &localRank), "MPI_Comm_rank")
        try mpiCheck(MPI_Comm_size(node, &localSize), "MPI_Comm_size")
        try mpiCheck(MPI_Comm_free(&node), "MPI_Comm_free")
        var leader: Int64 = localRank == 0 ? 1 : 0, nodes: Int64 = 0
        try mpiCheck(MPI_Allreduce(&leader, &nodes, 1, CMPIShim_INT64(), CMPIShim_SUM(), world), "MPI_Allreduce")
        return (Int(nodes), Int(localRank), Int(localSize))
    }

    /// The table's `ring_from_bytes` for this job, read on every rank. Collective over `world`.
    /// - Throws: `CollectiveError.invalidArgument` on every rank if any rank could not use the file
    ///   (that rank names the problem, the others name that rank) or the ranks read different values.
    static func loadAlgorithmTable(path: String, world: MPI_Comm, rank: Int, size: Int, nodes: Int) throws -> Int {
        var mine: Int64 = -1, failure: Error?
        do { mine = Int64(try AlgorithmTable.load(path: path, build: AlgorithmTable.buildHash(), ranks: size, nodes: nodes).ring_from_bytes) }
        catch { failure = error }
        var all = [Int64](repeating: 0, count: size)
        try all.withUnsafeMutableBufferPointer { a in
            try mpiCheck(MPI_Allgather(&mine, 1, CMPIShim_INT64(), a.baseAddress, 1, CMPIShim_INT64(), world), "MPI_Allgather")
        }
        if let failure { throw failure }
        if let bad = all.firstIndex(of: -1) {
            throw CollectiveError.invalidArgument("COHORT_ALGORITHM_TABLE: rank \(bad) cannot use \(path) (its error says why)")
        }
        if let other = all.firstIndex(where: { $0 != all[0] }) {
            throw CollectiveError.invalidArgument("COHORT_ALGORITHM_TABLE: \(path) differs between ranks: ring from \(all[0]) bytes on rank 0, "
                + "\(all[other]) on rank \(other)")
        }
        return Int(mine)
    }
}
