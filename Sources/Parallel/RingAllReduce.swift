// Implements: RingAllReduce, the transport of ZeRO stage 0 when the ranks' gradients are private:
// the ring allreduce of Collectives (MPI messages, or the shared-memory ring when every rank runs
// on this node). Every rank ends with the whole mean of the range.
import Collectives

final class RingAllReduce: ReductionTransport {
    private let comm: Communicator
    init(comm: Communicator) { self.comm = comm }

    func reduction(of range: Range<Int>, in base: UnsafeMutablePointer<Float>, offset: Int) -> () throws -> Void {
        let view = UnsafeMutableBufferPointer(start: base + range.lowerBound, count: range.count)
        return { [comm] in try comm.allReduce(view, op: .mean) }
    }

    /// The ring copied the data out during the call: the buffer is free when the call is done.
    func waitUntilRead(_ range: Range<Int>) throws {}
}
