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
    /// The right neighbour runs on another node (its bytes count as inter-node traffic).
    var crossesNodes = false

    /// Bytes per send(2) call, and per encoded piece: small enough that the first bytes leave
    /// within ~0.1 ms of encoding, large enough that the calls cost little (a multiple of 4).
    static let piece = 256 << 10

    /// Bytes a waiting receiver lets queue before it wakes (`COHORT_RECEIVE_LOW_WATER_KB`, default
    /// 64; 0: every segment). Why: at 1 Gbit/s segments arrive every few microseconds, and a
    /// wake-up per segment (poll, recv, a few KB decoded) cost the comm thread more CPU than its
    /// kernels did, CPU that on shared cores is taken from backward.
    static let receiveLowWater = max(1, (Int(ProcessInfo.processInfo.environment["COHORT_RECEIVE_LOW_WATER_KB"] ?? "") ?? 64) * 1024)

    /// Encoded copy of a chunk to send, and two receive buffers (allgather forwards the previous one).
    private let staging = RawBuffer(), scratch = [RawBuffer(), RawBuffer()]
    /// Every rank's buffer for the direct schedule (SocketRing+Direct.swift).
    let direct = RawBuffer()

    init(rank: Int, size: Int, right: TCPLink, left: TCPLink, timeoutSeconds: Double?) {
        self.rank = rank; self.size = size; self.right = right; self.left = left; self.timeoutSeconds = timeoutSeconds
    }

    /// Reduces `count` floats at `base` over all ranks; afterwards this rank's ShardLayout chunk
    /// holds the sum (or mean) and the rest holds partial sums.
    /// - Parameter residual: With a 16-bit format, the error feedback buffer of this rank (`count`
    ///   floats, zero at first): added to the input, then set to what rounding lost. Each element's
    ///   residual is folded in where the element is first touched (WireFormat+Feedback.swift):
    ///   the chunk sent first as it is encoded, every other chunk as received bytes are added to it.
    func reduceScatter(_ base: UnsafeMutablePointer<Float>, count: Int, mean: Bool, format: WireFormat,
                       residual: UnsafeMutablePointer<Float>?) throws {
        let n = size, r = rank, b = format.bytes
        let residual = format == .fp32 ? nil : residual
        let capacity = (count + n - 1) / n * b   // the largest chunk
        scratch[0].reserve(capacity); staging.reserve(capacity)
        for s in 0 ..< n - 1 {
            let sendChunk = ShardLayout.chunk((r - s - 1 + 2 * n) % n, count: count, ranks: n)
            let recvChunk = ShardLayout.chunk((r - s - 2 + 2 * n) % n, count: count, ranks: n)
            let src = base + sendChunk.lowerBound, kept = residual.map { $0 + sendChunk.lowerBound }
            let into = scratch[0].pointer, dst = base + recvChunk.lowerBound
            let keptIn = residual.map { $0 + recvChunk.lowerBound }
            let divisor: Float? = mean && s == n - 2 ? Float(n) : nil   // the last step receives the own chunk
            var added = 0
            // 16-bit: encoded a piece at a time just before it is sent, so the link starts at once.
            try exchange(format == .fp32 ? UnsafeRawPointer(src) : UnsafeRawPointer(staging.pointer), sendChunk.count * b,
                         into, recvChunk.count * b, step: "reduce-scatter step \(s)", produce: format == .fp32 ? nil : { from, to in
                let i = from / b, k = to / b - i
                if s == 0, let kept { format.encodeFeedingBack(src + i, k, into: self.staging.pointer + from, residual: kept + i) }
                else if let kept { format.encodeSettingResidual(src + i, k, into: self.staging.pointer + from, residual: kept + i) }
                else { format.encode(src + i, k, into: self.staging.pointer + from) }
            }) { got in
                let upTo = got / b
                format.decodeAdding(into + added * b, upTo - added, into: dst + added,
                                    residual: keptIn.map { $0 + added }, divideBy: divisor)
                added = upTo
            }
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
            format.roundInPlace(base + own.lowerBound, own.count, staging: staging.pointer,
                                residual: residual.map { $0 + own.lowerBound }, scale: feedbackScale)
        }
        for s in 0 ..< n - 1 {
            let sendChunk = ShardLayout.chunk((r - s + n) % n, count: count, ranks: n)
            let recvChunk = ShardLayout.chunk((r - s - 1 + 2 * n) % n, count: count, ranks: n)
            if format == .fp32 {
                try exchange(UnsafeRawPointer(base + sendChunk.lowerBound), sendChunk.count * 4,
                             UnsafeMutableRawPointer(base + recvChunk.lowerBound), recvChunk.count * 4,
                             step: "allgather step \(s)", produce: nil) { _ in }
                continue
            }
            // Forward the owner's encoded bytes as received, never re-encoded.
            let out = s == 0 ? staging.pointer : scratch[(s - 1) % 2].pointer
            let into = scratch[s % 2].pointer, dst = base + recvChunk.lowerBound
            var decodedCount = 0
            try exchange(UnsafeRawPointer(out), sendChunk.count * b, into, recvChunk.count * b,
                         step: "allgather step \(s)", produce: nil) { got in
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
    /// the left; calls `arrived(bytes so far)` after each read. With `produce`, bytes `from ..< to`
    /// of `out` are written by `produce(from, to)` shortly before they are sent (a piece of
    /// `Self.piece` bytes at a time, at most two ahead of the socket). Sleeps in poll(2) when neither socket can
    /// move, so a waiting communication thread leaves its core to the compute thread.
    func exchange(_ out: UnsafeRawPointer, _ sendBytes: Int, _ into: UnsafeMutableRawPointer, _ receiveBytes: Int,
                          step: @autoclosure () -> String, produce: ((Int, Int) -> Void)?, arrived: (Int) -> Void) throws {
        var sent = 0, got = 0, ready = produce == nil ? sendBytes : 0
        let start = monotonicSeconds()
        let piece = Self.piece
        while sent < sendBytes || got < receiveBytes {
            var moved = false
            if sent < sendBytes {
                if ready < sendBytes, ready - sent < 2 * piece, let produce {   // keep the encoder ahead
                    let to = min(sendBytes, ready + piece)
                    produce(ready, to)
                    ready = to
                }
                let k = try right.sendSome(out + sent, min(piece, ready - sent))
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
            if got < receiveBytes { left.setReceiveLowWater(min(Self.receiveLowWater, receiveBytes - got)) }
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
