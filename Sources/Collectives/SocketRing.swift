// Implements: SocketRing, the ring reduce-scatter and allgather over TCP sockets between ring
// neighbours on different nodes, in fp32 or a 16-bit wire format, with error feedback.
//
// Schedule: the same as Ring.swift (chunks from ShardLayout; reduce-scatter step s sends chunk
// r−s−1 to the right and adds chunk r−s−2 from the left; allgather step s sends chunk r−s and
// receives chunk r−s−1), and the same order of additions, so fp32 results are the bits of the
// MPI ring. Each step moves its send and its receive at once on two connections (one to each
// neighbour), and adds received bytes as they arrive, while the rest of the chunk is in flight.
//
// 16-bit formats: every value a rank puts on the wire is rounded, and what rounding lost goes to
// the rank's `residual`, which the next call adds to its input (error feedback). Reduce-scatter
// sends each chunk but the rank's own exactly once (its contribution at the first step, partial
// sums after), so every element's residual holds the one rounding this rank did to it; the owner
// rounds its reduced chunk once before the allgather (the error of a mean, times N, as a sum's),
// and the allgather forwards the owner's bytes unchanged, so all ranks end with the same bits.
// Linear: the next sum includes every error of this one, whichever rank made it.
import Foundation

final class SocketRing {
    let rank: Int
    let size: Int
    /// To rank+1 (this rank connected) and from rank−1 (it connected to this rank's listener).
    let right: TCPLink, left: TCPLink
    /// Seconds a step may wait for a neighbour; nil waits forever.
    var timeoutSeconds: Double?
    /// Bytes this rank has sent on the ring so far (benchmarks print it per step).
    private(set) var bytesSent = 0

    /// Encoded copy of a chunk to send, and two receive buffers (allgather forwards the previous one).
    private let staging = RawBuffer(), scratch = [RawBuffer(), RawBuffer()]

    init(rank: Int, size: Int, right: TCPLink, left: TCPLink, timeoutSeconds: Double?) {
        self.rank = rank; self.size = size; self.right = right; self.left = left; self.timeoutSeconds = timeoutSeconds
    }

    /// Reduces `count` floats at `base` over all ranks; afterwards this rank's ShardLayout chunk
    /// holds the sum (or mean) and the rest holds partial sums.
    /// - Parameter residual: With a 16-bit format, the error feedback buffer of this rank (`count`
    ///   floats, zero at first): added to the input, then set to what rounding lost.
    func reduceScatter(_ base: UnsafeMutablePointer<Float>, count: Int, mean: Bool, format: WireFormat,
                       residual: UnsafeMutablePointer<Float>?) throws {
        let n = size, r = rank, b = format.bytes
        if format != .fp32, let residual {
            for i in 0 ..< count { base[i] += residual[i] }
            residual.update(repeating: 0, count: count)
        }
        let capacity = (count + n - 1) / n * b   // the largest chunk
        scratch[0].reserve(capacity); staging.reserve(capacity)
        for s in 0 ..< n - 1 {
            let sendChunk = ShardLayout.chunk((r - s - 1 + 2 * n) % n, count: count, ranks: n)
            let recvChunk = ShardLayout.chunk((r - s - 2 + 2 * n) % n, count: count, ranks: n)
            let out: UnsafeRawPointer
            if format == .fp32 { out = UnsafeRawPointer(base + sendChunk.lowerBound) } else {
                format.encode(base + sendChunk.lowerBound, sendChunk.count, into: staging.pointer,
                              residual: residual.map { $0 + sendChunk.lowerBound })
                out = UnsafeRawPointer(staging.pointer)
            }
            let into = scratch[0].pointer, dst = base + recvChunk.lowerBound
            var added = 0
            try exchange(out, sendChunk.count * b, into, recvChunk.count * b, step: "reduce-scatter step \(s)") { got in
                let upTo = got / b
                format.decodeAdding(into + added * b, upTo - added, into: dst + added)
                added = upTo
            }
        }
        let own = ShardLayout.chunk(r, count: count, ranks: n)
        if mean {
            let d = Float(n)
            for i in own { base[i] /= d }
        }
    }

    /// Fills all `count` floats at `base` from every rank's ShardLayout chunk. With a 16-bit format
    /// the owner's chunk is rounded first (its error, times `feedbackScale`, goes to `residual`).
    func allGather(_ base: UnsafeMutablePointer<Float>, count: Int, format: WireFormat,
                   residual: UnsafeMutablePointer<Float>?, feedbackScale: Float = 1) throws {
        let n = size, r = rank, b = format.bytes
        let capacity = (count + n - 1) / n * b   // the largest chunk
        staging.reserve(capacity); scratch[0].reserve(capacity); scratch[1].reserve(capacity)
        if format != .fp32 {
            let own = ShardLayout.chunk(r, count: count, ranks: n)
            let lost = UnsafeMutablePointer<Float>.allocate(capacity: own.count)
            defer { lost.deallocate() }
            lost.initialize(repeating: 0, count: own.count)
            format.encode(base + own.lowerBound, own.count, into: staging.pointer, residual: lost)
            format.decode(staging.pointer, own.count, into: base + own.lowerBound)
            if let residual { for i in 0 ..< own.count { residual[own.lowerBound + i] += lost[i] * feedbackScale } }
        }
        for s in 0 ..< n - 1 {
            let sendChunk = ShardLayout.chunk((r - s + n) % n, count: count, ranks: n)
            let recvChunk = ShardLayout.chunk((r - s - 1 + 2 * n) % n, count: count, ranks: n)
            if format == .fp32 {
                try exchange(UnsafeRawPointer(base + sendChunk.lowerBound), sendChunk.count * 4,
                             UnsafeMutableRawPointer(base + recvChunk.lowerBound), recvChunk.count * 4,
                             step: "allgather step \(s)") { _ in }
                continue
            }
            // Forward the owner's encoded bytes as received, never re-encoded.
            let out = s == 0 ? staging.pointer : scratch[(s - 1) % 2].pointer
            let into = scratch[s % 2].pointer, dst = base + recvChunk.lowerBound
            var decodedCount = 0
            try exchange(UnsafeRawPointer(out), sendChunk.count * b, into, recvChunk.count * b, step: "allgather step \(s)") { got in
                let upTo = got / b
                format.decode(into + decodedCount * b, upTo - decodedCount, into: dst + decodedCount)
                decodedCount = upTo
            }
        }
    }

    /// Reduces `count` floats at `base` over all ranks in place; every rank ends with the same bits.
    func allReduce(_ base: UnsafeMutablePointer<Float>, count: Int, mean: Bool, format: WireFormat,
                   residual: UnsafeMutablePointer<Float>?) throws {
        try reduceScatter(base, count: count, mean: mean, format: format, residual: residual)
        // The mean's rounding error reaches the next mean only after division by N again.
        try allGather(base, count: count, format: format, residual: residual, feedbackScale: mean ? Float(size) : 1)
    }

    /// Sends `sendBytes` from `out` to the right while receiving `receiveBytes` into `into` from
    /// the left; calls `arrived(bytes so far)` after each read. Sleeps in poll(2) when neither
    /// socket can move, so a waiting communication thread leaves its core to the compute thread.
    private func exchange(_ out: UnsafeRawPointer, _ sendBytes: Int, _ into: UnsafeMutableRawPointer, _ receiveBytes: Int,
                          step: @autoclosure () -> String, arrived: (Int) -> Void) throws {
        var sent = 0, got = 0
        let start = monotonicSeconds()
        let piece = 1 << 20
        while sent < sendBytes || got < receiveBytes {
            var moved = false
            if sent < sendBytes {
                let k = try right.sendSome(out + sent, min(piece, sendBytes - sent))
                sent += k; moved = moved || k > 0
            }
            if got < receiveBytes {
                let k = try left.receiveSome(into + got, min(piece, receiveBytes - got))
                if k > 0 { got += k; moved = true; arrived(got) }
            }
            if moved { continue }
            if let limit = timeoutSeconds, monotonicSeconds() - start > limit {
                throw CollectiveError.timeout(rank: rank, call: step(), waitingFor: sent < sendBytes
                    ? "rank \(right.peer) to take \(sendBytes - sent) more bytes" : "\(receiveBytes - got) more bytes from rank \(left.peer)",
                    seconds: limit)
            }
            var fds = [pollfd(fd: right.fd, events: sent < sendBytes ? Int16(POLLOUT) : 0, revents: 0),
                       pollfd(fd: left.fd, events: got < receiveBytes ? Int16(POLLIN) : 0, revents: 0)]
            _ = poll(&fds, 2, 100)
        }
        bytesSent += sendBytes
    }
}

/// A growable raw byte buffer, 64-byte aligned.
final class RawBuffer {
    private(set) var pointer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
    private(set) var capacity = 64

    deinit { pointer.deallocate() }

    func reserve(_ bytes: Int) {
        guard bytes > capacity else { return }
        pointer.deallocate()
        pointer = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
        capacity = bytes
    }
}
