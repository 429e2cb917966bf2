// Implements: PeerBufferReduction, the transport when every rank runs on this node: the gradients
// live in this rank's region of node-shared memory (PeerBuffers), and a reduction reads the
// peers' regions in place, in the ring's order (the same bits as the rings). With `gather`
// (stage 0) each owner writes its reduced chunk into every region as it sums it, so every rank
// holds the whole mean without a gather pass (PeerBuffers.allReduce).
// A rank writes a range again only when every peer is done with it: has reduced it (stages 1–2)
// or has written its chunk into it (stage 0, where no barrier separates the steps).
import Collectives

final class PeerBufferReduction: ReductionTransport {
    private let peers: PeerBuffers
    private let gather: Bool
    /// Reductions queued so far (the comm thread runs them in this order, so these are the
    /// numbers PeerBuffers gives them), and the last one of each range, by its first element.
    private var queued: Int64 = 0
    private var lastCall: [Int: Int64] = [:]

    init(peers: PeerBuffers, gather: Bool) { self.peers = peers; self.gather = gather }

    func reduction(of range: Range<Int>, in base: UnsafeMutablePointer<Float>, offset: Int) -> () throws -> Void {
        precondition(base == peers.mine, "PeerBufferReduction: the gradients are not in this rank's region")
        queued += 1
        lastCall[range.lowerBound] = queued
        return { [peers, gather] in
            if gather { try peers.allReduce(range, op: .mean) } else { try peers.reduceScatter(range, op: .mean) }
        }
    }

    func waitUntilRead(_ range: Range<Int>) throws {
        guard let call = lastCall.removeValue(forKey: range.lowerBound) else { return }
        try peers.waitUntilRead(call, gathered: gather)
    }
}
