// Implements: MPICommunicator.referenceAllReduce, OpenMPI's own MPI_Allreduce on the same
// buffers: the baseline of `cohort bench allreduce` and the reference of the tests.
import CMPI
import CMPIShim

extension MPICommunicator {
    /// Sums `buffer` over all ranks in place with the MPI library's own allreduce.
    ///
    /// Blocking, unchecked, no timeout: a baseline for benchmarks and tests, not for training.
    /// - Parameter buffer: Same length on every rank, at most `Int32.max` floats.
    /// - Throws: `.invalidArgument` for a too long buffer, `.mpi` if MPI fails.
    /// The corresponding MPI call is `MPI_Allreduce(MPI_IN_PLACE, …, MPI_FLOAT, MPI_SUM, …)`.
    public func referenceAllReduce(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        guard size > 1, buffer.count > 0 else { return }
        try operation("MPI_Allreduce of \(buffer.count) floats") {
            try mpiCheck(MPI_Allreduce(CMPIShim_IN_PLACE(), buffer.baseAddress, try messageCount(buffer.count),
                                       CMPIShim_FLOAT(), CMPIShim_SUM(), collComm), "MPI_Allreduce")
        }
    }
}
