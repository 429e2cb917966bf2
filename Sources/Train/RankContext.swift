// Implements: RankContext, how a `cohort train` process finds its place: under mpirun (OpenMPI
// sets OMPI_COMM_WORLD_SIZE) it starts its comm thread and, on it, MPI; otherwise it runs alone.
import Collectives
import Foundation
import Parallel

/// This process's place among the ranks: under mpirun, MPI on its own comm thread; alone, nothing.
public final class RankContext {
    /// The communicator (nil alone); use it only on `worker`.
    public let comm: Communicator?
    /// The thread every collective runs on (nil alone).
    public let worker: CommThread?
    /// This process's rank, 0 alone.
    public var rank: Int { comm?.rank ?? 0 }
    /// The number of ranks, 1 alone.
    public var size: Int { comm?.size ?? 1 }

    /// Whether this process was started by mpirun.
    public static var underMPI: Bool { ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil }

    /// Starts MPI on a new comm thread when under mpirun.
    public init() throws {
        guard RankContext.underMPI else { comm = nil; worker = nil; return }
        let w = CommThread()
        worker = w
        comm = try w.sync { try MPICommunicator() }
    }

    /// Finalises MPI on the comm thread and stops it.
    public func finish() {
        guard let worker else { return }
        if let mpi = comm as? MPICommunicator { try? worker.sync { try mpi.finalize() } }
        worker.stop()
    }
}
