// Implements: MPIError (a failed MPI call, by name, with MPI's own message) and mpiCheck,
// the one checker every MPI return code in Cohort goes through.
import CMPI
import CMPIShim

/// A failed MPI call: which call, its return code and MPI's text for it.
public struct MPIError: Error, Equatable, CustomStringConvertible {
    /// The MPI return code (an MPI error class or code).
    public let code: Int32
    /// The MPI function that failed, e.g. `MPI_Isend`.
    public let call: String
    /// MPI's description of `code` (from `MPI_Error_string`).
    public let message: String

    public var description: String { "\(call) failed with MPI error \(code): \(message)" }
}

/// Throws `CollectiveError.mpi(MPIError)` unless `rc` is `MPI_SUCCESS`.
///
/// Set `MPI_ERRORS_RETURN` on the communicator first: MPI's default handler aborts the job
/// before a return code ever reaches this function.
/// - Parameters:
///   - rc: The return code of an MPI call.
///   - call: The name of that call, for the error.
/// - Throws: `CollectiveError.mpi` with an `MPIError` naming `call`.
@inline(__always)
func mpiCheck(_ rc: Int32, _ call: StaticString) throws {
    guard rc != CMPIShim_SUCCESS else { return }
    throw CollectiveError.mpi(MPIError(code: rc, call: "\(call)", message: mpiErrorString(rc)))
}

/// MPI's text for an error code. The corresponding C function is `MPI_Error_string`.
func mpiErrorString(_ rc: Int32) -> String {
    var bytes = [CChar](repeating: 0, count: Int(CMPIShim_MAX_ERROR_STRING) + 1)
    var length: Int32 = 0
    guard MPI_Error_string(rc, &bytes, &length) == CMPIShim_SUCCESS else { return "unknown MPI error" }
    return String(decoding: bytes.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
}
