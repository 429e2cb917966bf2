// Implements: RankContext, how a `cohort train` process finds its place: under mpirun (OpenMPI
// sets OMPI_COMM_WORLD_SIZE) it starts its comm thread and, on it, MPI; otherwise it runs alone.
import Collectives
import Foundation
import Parallel

public final class RankContext {
    public let comm: Communicator?
    public let worker: CommThread?

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
