// Implements: the latency-bound allreduce of the socket ring for small buffers ("direct"): every
// rank's whole buffer travels once around the ring (N−1 steps, each forwarding the buffer
// received in the step before), and every rank then adds the N buffers in rank order 0, 1, …,
// N−1. The ring's reduce-scatter + allgather takes 2(N−1) steps; for a buffer of a few KB each
// step costs a round trip, not bandwidth, so half the steps is about half the time. Bytes moved:
// (N−1) × the buffer per rank, against the ring's 2(N−1)/N ×, hence small buffers only.
// Every rank adds the same values in the same order, so all ranks end with the same bits; with
// 2 ranks these are also the ring's bits (x0 + x1 == x1 + x0 in IEEE arithmetic), with more they
// differ from the ring's by rounding only (the order of additions differs).

extension SocketRing {
    /// Reduces `count` floats at `base` over all ranks in place, in fp32, by the direct schedule.
    func directAllReduce(_ base: UnsafeMutablePointer<Float>, count: Int, mean: Bool) throws {
        let n = size, r = rank, bytes = count * 4
        // Slot j holds rank j's buffer; this rank's own slot is `base` itself until the sum.
        direct.reserve(n * bytes)
        let slots = direct.pointer.assumingMemoryBound(to: Float.self)
        func slot(_ j: Int) -> UnsafeMutablePointer<Float> { j == r ? base : slots + j * count }
        for s in 0 ..< n - 1 {
            // Step s sends rank (r − s)'s buffer and receives rank (r − s − 1)'s.
            let out = slot((r - s + n) % n), into = slot((r - s - 1 + n) % n)
            try exchange(UnsafeRawPointer(out), bytes, UnsafeMutableRawPointer(into), bytes,
                         step: "direct allreduce step \(s)", produce: nil) { _ in }
        }
        // Sum in rank order into slot 0's place first, then copy: base may be any rank's slot.
        let sum = r == 0 ? base : slots
        for j in 1 ..< n {
            let x = slot(j)
            for i in 0 ..< count { sum[i] += x[i] }
        }
        if mean { let d = Float(n); for i in 0 ..< count { sum[i] /= d } }
        if r != 0 { base.update(from: sum, count: count) }
    }
}
