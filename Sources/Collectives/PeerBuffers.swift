// Implements: PeerBuffers, zero-copy reduce-scatter and allgather for ranks on one node. Each rank
// owns one region of a node-shared mapping (NodeMemory.peerBuffers) and keeps the buffer it reduces
// there (data-parallel training: its gradients). A reduction then reads the peers' regions in
// place: no copy into a slot and out again, as the shared-memory ring (SharedRing.swift) does.
//
//   reduceScatter(range): publish "my region's `range` is ready" (counter `published`); wait
//     until every rank has; add chunk r of `range` (ShardLayout) over all regions into this
//     rank's region, in the ring's order (chunk c: ranks c+1, c+2, …, c; the last addition also
//     divides for a mean), so the bits equal those of both rings; publish `reduced`.
//   allGather(range) (after reduceScatter of the same range): wait until every rank has reduced,
//     copy chunk p of `range` from region p into this rank's region; publish `gathered`.
//   allReduce(range): reduceScatter's additions, but each rank also stores its reduced chunk
//     into every peer's region; wait until every rank has reduced (then every region is whole).
//   waitUntilRead(call): before a rank writes into its region again, it waits until every peer
//     has done what reads it (reduced, or gathered if `gathered`).
// Why the owner writes its chunk into the peers' regions (allReduce) instead of each rank
// gathering it: a line moving between two cores' caches is what costs here. Gathering moves
// each line of a region three times (the peer reads it to add, the owner's gather overwrites
// the line the peer now shares, and the gather reads the peer's freshly written sum); writing
// the sum into the line just read moves it once, and once more when its owner next reads it.
// C prototype, 2 ranks, Xeon, 1 MB, at load 15: 40-46 µs against 103 per call; with a read of
// the whole result after each call (as the optimizer does), timed too: 69-72 µs against 111.
// Every call has a sequence number (the same on every rank: ranks call in the same order); the
// counters only grow. Waiting spins for `settings.spinSeconds`, then sleeps on this rank's
// doorbell, rung by a peer that moves a counter, and throws `.timeout` after
// `settings.timeoutSeconds` (SpinThenSleep.swift).
//
// Layout of the mapping: one 512-byte control block per rank (published @0, reduced @128,
// gathered @256, bell @384, sleeping @448; each written by its rank only, except the bell), then
// the regions, each a whole number of pages.
import CSharedMemory
import Foundation

public final class PeerBuffers: @unchecked Sendable {
    /// Floats in each rank's region.
    public let count: Int
    public let rank: Int, size: Int
    private let mapping: NodeSharedMapping
    private let base: UnsafeMutableRawPointer
    private let regionOffset: Int, regionStride: Int
    private let spinSeconds: Double, timeoutSeconds: Double?
    /// Calls made so far (the comm thread's; the sequence number of the last one).
    public private(set) var calls: Int64 = 0
    /// Partial sums of one slice for more than two ranks.
    private let partial = UnsafeMutablePointer<Float>.allocate(capacity: PeerBuffers.sliceFloats)
    static let sliceFloats = 4096
    static let blockBytes = 512
    enum Counter: Int { case published = 0, reduced = 128, gathered = 256 }
    static let bellOffset = 384, sleepingOffset = 448

    init(mapping: NodeSharedMapping, count: Int, rank: Int, size: Int, settings: CollectiveSettings) {
        self.mapping = mapping; self.count = count; self.rank = rank; self.size = size
        base = UnsafeMutableRawPointer(mapping.pointer)
        regionOffset = PeerBuffers.headerBytes(size)
        regionStride = PeerBuffers.regionBytes(count)
        spinSeconds = settings.spinSeconds
        timeoutSeconds = settings.timeoutSeconds
    }

    deinit { partial.deallocate() }

    static func headerBytes(_ size: Int) -> Int { (size * blockBytes + 4095) / 4096 * 4096 }
    static func regionBytes(_ count: Int) -> Int { (max(count, 1) * 4 + 4095) / 4096 * 4096 }

    /// Rank i's region (`count` floats, page-aligned).
    public func region(_ i: Int) -> UnsafeMutablePointer<Float> {
        (base + regionOffset + i * regionStride).assumingMemoryBound(to: Float.self)
    }

    /// This rank's region.
    public var mine: UnsafeMutablePointer<Float> { region(rank) }

    // MARK: collectives

    /// Reduces elements `range` of every rank's region; afterwards this rank's `ShardLayout` chunk
    /// of `range` holds the sum (or mean), bitwise equal to `MPICommunicator.reduceScatter`.
    /// - Returns: The call's sequence number (for `allGather` and `waitUntilRead`).
    @discardableResult
    public func reduceScatter(_ range: Range<Int>, op: ReduceOp) throws -> Int64 {
        try reduceOwnChunk(range, op: op, push: false)
    }

    /// Adds chunk `rank` of `range` over all regions (the ring's order) into this rank's region
    /// and, with `push`, stores the result into every peer's region too; publishes `reduced`.
    private func reduceOwnChunk(_ range: Range<Int>, op: ReduceOp, push: Bool) throws -> Int64 {
        precondition(range.lowerBound >= 0 && range.upperBound <= count, "PeerBuffers: range \(range) outside \(count) floats")
        calls += 1
        let call = calls
        signal(.published, call)
        try wait(.published, call, "to finish the gradients of call \(call)")
        let chunk = ShardLayout.chunk(rank, count: range.count, ranks: size)
        let start = range.lowerBound + chunk.lowerBound
        let own = mine + start
        let divisor: Float? = op == .mean ? Float(size) : nil
        if size == 2 {
            let peer = region((rank + 1) % 2) + start
            combine(own, peer, push ? peer : nil, chunk.count, divisor: divisor)
        } else {
            // Chunk r is summed in the ring's order: r+1, r+2, …, r−1 into a partial sum, then own.
            var at = 0
            while at < chunk.count {
                let n = min(Self.sliceFloats, chunk.count - at)
                partial.update(from: region((rank + 1) % size) + start + at, count: n)
                for k in 2 ..< size { addInPlace(partial, region((rank + k) % size) + start + at, n) }
                combine(own + at, partial, nil, n, divisor: divisor)
                if push { for k in 1 ..< size { (region((rank + k) % size) + start + at).update(from: own + at, count: n) } }
                at += n
            }
        }
        signal(.reduced, call)
        return call
    }

    /// Copies every rank's reduced chunk of `range` (call `call`, a `reduceScatter` of the same
    /// range) into this rank's region, so all regions hold the whole result.
    public func allGather(_ range: Range<Int>, call: Int64) throws {
        try wait(.reduced, call, "to reduce its chunk of call \(call)")
        for k in 1 ..< size {
            let p = (rank + k) % size
            let c = ShardLayout.chunk(p, count: range.count, ranks: size)
            (mine + range.lowerBound + c.lowerBound).update(from: region(p) + range.lowerBound + c.lowerBound, count: c.count)
        }
        signal(.gathered, call)
    }

    /// Reduces elements `range` of every rank's region in place: afterwards each region's `range`
    /// holds the sum (or mean), bitwise equal to `MPICommunicator.allReduce`; on return every
    /// peer is done with this rank's region, so the caller may write it again.
    /// Each rank writes its reduced chunk into every region itself (no gather step reads it back):
    /// see "Why the owner writes its chunk into the peers' regions" above.
    /// - Returns: The call's sequence number (`waitUntilRead(call, gathered:)` returns at once).
    @discardableResult
    public func allReduce(_ range: Range<Int>, op: ReduceOp) throws -> Int64 {
        let call = try reduceOwnChunk(range, op: op, push: true)
        try wait(.reduced, call, "to reduce its chunk of call \(call) into every region")
        signal(.gathered, call)   // for waitUntilRead(call, gathered: true)
        return call
    }

    /// `allReduce` of every rank's whole region.
    public func allReduce(op: ReduceOp) throws { try allReduce(0 ..< count, op: op) }

    /// Waits until every peer is done reading this rank's region for call `call` and earlier:
    /// it has reduced (or, with `gathered`, gathered) that call.
    public func waitUntilRead(_ call: Int64, gathered: Bool) throws {
        try wait(gathered ? .gathered : .reduced, call, "to read this rank's buffer (call \(call))")
    }

    // MARK: counters and waiting

    @inline(__always) private func counter(_ i: Int, _ c: Counter) -> UnsafeMutablePointer<Int64> {
        (base + i * Self.blockBytes + c.rawValue).assumingMemoryBound(to: Int64.self)
    }
    @inline(__always) private func doorbell(_ i: Int) -> Doorbell {
        Doorbell(base + i * Self.blockBytes, bellOffset: Self.bellOffset, sleepingOffset: Self.sleepingOffset)
    }

    /// Publishes this rank's counter (seq_cst, after the data it covers) and rings the peers.
    private func signal(_ c: Counter, _ value: Int64) {
        CSharedMemory_store64(counter(rank, c), value)
        for k in 1 ..< size { doorbell((rank + k) % size).ring() }
    }

    /// The first peer whose counter is below `value`, or nil.
    private func lagging(_ c: Counter, _ value: Int64) -> Int? {
        for k in 1 ..< size where CSharedMemory_loadAcquire(counter((rank + k) % size, c)) < value { return (rank + k) % size }
        return nil
    }

    /// Waits until every peer's counter `c` has reached `value` (SpinThenSleep).
    private func wait(_ c: Counter, _ value: Int64, _ what: @autoclosure () -> String) throws {
        var waiter = SpinThenSleep(own: doorbell(rank), spinSeconds: spinSeconds, timeoutSeconds: timeoutSeconds, yields: false)
        while let p = lagging(c, value) {
            try waiter.idle(progress: { (1 ..< size).reduce(Int64(0)) { $0 + CSharedMemory_load64(counter((rank + $1) % size, c)) } },
                            timeout: { CollectiveError.timeout(rank: rank, call: "shared-buffer call \(value)", waitingFor: "rank \(p) \(what())", seconds: $0) })
        }
    }
}
