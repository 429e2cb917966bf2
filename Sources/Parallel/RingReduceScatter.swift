// Implements: RingReduceScatter, the transport of ZeRO stages 1–2 when the ranks' gradients are
// private: the ring reduce-scatter of Collectives (MPI messages, or the shared-memory ring on one
// node). Rank r ends with the mean of its ShardLayout chunk of the range; the rest is scratch.
import Collectives

final class RingReduceScatter: ReductionTransport {
    private let comm: Communicator
    init(comm: Communicator) { self.comm = comm }

    func reduction(of range: Range<Int>, in base: UnsafeMutablePointer<Float>, offset: Int) -> () throws -> Void {
        let view = UnsafeMutableBufferPointer(start: base + range.lowerBound, count: range.count)
        return { [comm] in try comm.reduceScatter(view, op: .mean) }
    }

    /// The ring copied the data out during the call: the buffer is free when the call is done.
    func waitUntilRead(_ range: Range<Int>) throws {}
}
