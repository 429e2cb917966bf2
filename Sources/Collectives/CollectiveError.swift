// Implements: CollectiveError, everything a communicator or collective call can throw.
// Each case names the ranks and the calls involved, so one line tells what went wrong where.

/// An error of a point-to-point or collective operation.
public enum CollectiveError: Error, Equatable, CustomStringConvertible {
    /// An MPI call returned an error code.
    case mpi(MPIError)
    /// MPI gave a lower thread level than the communication thread design needs.
    case threadLevel(requested: Int32, provided: Int32)
    /// Two ranks entered different collectives (operation, length, dtype, root or sequence number).
    case mismatch(rank: Int, call: CallFingerprint, otherRank: Int, otherCall: CallFingerprint)
    /// A wait did not finish within the configured timeout.
    case timeout(rank: Int, call: String, waitingFor: String, seconds: Double)
    /// A caller passed a bad argument (a peer or root outside the world, a negative length, …).
    case invalidArgument(String)
    /// A socket of the cross-node ring failed (peer: the neighbour's rank, −1 before one is known).
    case link(peer: Int, what: String)
    /// An earlier error left the communicator unusable (messages of the failed call may still be in flight).
    case broken(rank: Int, after: String)

    public var description: String {
        switch self {
        case .mpi(let e):
            return "\(e)"
        case .threadLevel(let requested, let provided):
            return "MPI_Init_thread provided thread level \(provided), need at least \(requested) (MPI_THREAD_SERIALIZED)"
        case .mismatch(let rank, let call, let otherRank, let otherCall):
            return "collective mismatch: rank \(rank) called \(call) but rank \(otherRank) called \(otherCall)"
        case .timeout(let rank, let call, let waitingFor, let seconds):
            return "collective timeout: rank \(rank) waited \(seconds) s in \(call) for \(waitingFor); "
                + "a rank is stuck, died or skipped this call (limit: COHORT_COLLECTIVE_TIMEOUT)"
        case .invalidArgument(let what):
            return "invalid argument: \(what)"
        case .link(let peer, let what):
            return peer >= 0 ? "ring link to rank \(peer): \(what)" : "ring link: \(what)"
        case .broken(let rank, let after):
            return "communicator of rank \(rank) is unusable after an earlier error: \(after)"
        }
    }
}
