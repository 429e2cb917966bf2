// Implements: CompressedRing, the transport of every ZeRO stage with a 16-bit format on the links
// between nodes: the socket ring's bf16/fp16 allreduce (stage 0) or reduce-scatter (stages 1–2),
// with this rank's error-feedback residual of every gradient element kept here between steps,
// indexed by the element's place in the flat gradient order (SocketRing.swift says what it
// holds). At stage 2 the bucket sits in a scratch buffer and every micro-batch is reduced: the
// residual is still per element, so each reduction's rounding reaches the next one. On one node
// the collectives stay fp32, so the residual stays zero.
import Collectives
import Tensor

final class CompressedRing: ReductionTransport {
    private let comm: Communicator
    private let format: WireFormat
    private let gather: Bool
    /// (Ψ): what rounding took from each element, added back at its next reduction.
    private let residual: FloatBuffer

    init(comm: Communicator, format: WireFormat, gather: Bool, count: Int) {
        self.comm = comm; self.format = format; self.gather = gather
        residual = FloatBuffer(count: count)
    }

    func reduction(of range: Range<Int>, in base: UnsafeMutablePointer<Float>, offset: Int) -> () throws -> Void {
        let view = UnsafeMutableBufferPointer(start: base + range.lowerBound, count: range.count)
        precondition(offset >= 0 && offset + range.count <= residual.count, "CompressedRing: range outside the gradients")
        let kept = residual.pointer + offset
        return { [comm, format, gather] in
            if gather { try comm.allReduce(view, op: .mean, format: format, residual: kept) }
            else { try comm.reduceScatter(view, op: .mean, format: format, residual: kept) }
        }
    }

    /// The ring copied the data out during the call: the buffer is free when the call is done.
    func waitUntilRead(_ range: Range<Int>) throws {}
}
