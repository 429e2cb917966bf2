// Implements: the ring reduce-scatter, allgather and allreduce of MPICommunicator on Float
// buffers of any length, pipelined in slices. When all ranks share this node they run over
// shared memory instead (SharedRing.swift, same schedule); the MPI point-to-point path below
// is for ranks on several nodes, or with COHORT_SHARED_MEMORY=0.
//
// Schedule (N ranks, rank r, chunks from ShardLayout, right = r+1, left = r−1, all mod N):
//   reduce-scatter, steps s = 0 … N−2: send chunk (r−s−1) to right, receive chunk (r−s−2) from
//     left and add it into our copy. After step N−2 rank r holds the full sum of chunk r, its
//     ShardLayout range. Chunk c is accumulated in the fixed order c+1, c+2, …, c (each rank
//     adds its own value to the partial sum it received), so the result is the same bits on
//     every run.
//   allgather, steps s = 0 … N−2: send chunk (r−s) to right, receive chunk (r−s−1) from left
//     straight into the buffer. Every rank ends with copies of the owners' bits, so all ranks
//     hold bitwise identical results.
// Pipelining: each reduce-scatter step is cut into slices of `settings.sliceBytes`. Receives
// are pre-posted `depth` slices ahead into small scratch buffers (double buffering); sends go
// straight from the caller's buffer (no staging copy), also `depth` slices ahead. While slice
// k is added into the destination (still hot in L2, just written by MPI's copy), MPI moves
// slice k+1. Sends and receives are MPI_Isend/MPI_Irecv, polled with the timeout.
// Synchronisation points: each step waits for its own sends and receives before the next
// step, because the next step sends the chunk this step reduced and reuses the scratch slices.
// Slice size: measured with `cohort bench allreduce --slice-bytes` (docs/collectives.md).
import CMPI
import CMPIShim

extension MPICommunicator {
    /// Receive slices in flight per reduce-scatter step (double buffering).
    static let depth = 2

    /// Reduces `buffer` over all ranks; afterwards this rank's `ShardLayout` range holds the result.
    ///
    /// The rest of `buffer` holds partial sums afterwards (scratch for the caller).
    /// - Parameters:
    ///   - buffer: Same length on every rank; any length, including 0.
    ///   - op: `.sum`, or `.mean` (the sum divided by `size`).
    /// - Throws: `CollectiveError.mismatch` if ranks disagree on the call (with checks on),
    ///   `.timeout` if a peer does not answer in time, `.mpi` if an MPI call fails.
    /// The corresponding MPI call is `MPI_Reduce_scatter` with `ShardLayout` counts.
    public func reduceScatter(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp = .sum) throws {
        try collective(op == .sum ? .reduceScatterSum : .reduceScatterMean, count: buffer.count) {
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            if let segment = sharedSegmentInUse {
                return try sharedRing(segment, base, count: buffer.count, stages: 0 ..< size - 1, mean: op == .mean)
            }
            if let ring = socketRingInUse {
                // The hierarchy leaves every chunk reduced, this rank's ShardLayout chunk among them.
                if let h = hierarchyInUse { return try hierarchicalAllReduce(h, base, count: buffer.count, mean: op == .mean, format: .fp32, residual: nil) }
                return try ring.reduceScatter(base, count: buffer.count, mean: op == .mean, format: .fp32, residual: nil)
            }
            try ringReduceScatter(base, count: buffer.count)
            if op == .mean { scaleOwnChunk(base, count: buffer.count) }
        }
    }

    /// Fills all of `buffer` from every rank's `ShardLayout` range of it.
    ///
    /// - Parameter buffer: Same length on every rank; this rank's range holds its shard.
    /// - Throws: `.mismatch`, `.timeout` or `.mpi`, as `reduceScatter`.
    /// The corresponding MPI call is `MPI_Allgatherv` with `ShardLayout` counts, in place.
    public func allGather(_ buffer: UnsafeMutableBufferPointer<Float>) throws {
        try collective(.allGather, count: buffer.count) {
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            if let segment = sharedSegmentInUse {
                return try sharedRing(segment, base, count: buffer.count, stages: size - 1 ..< 2 * size - 2, mean: false)
            }
            if let ring = socketRingInUse { return try ring.allGather(base, count: buffer.count, format: .fp32, residual: nil) }
            try ringAllGather(base, count: buffer.count)
        }
    }

    /// Reduces `buffer` over all ranks in place: ring reduce-scatter, then ring allgather.
    ///
    /// All ranks end with bitwise identical values, the same on every run for the same inputs.
    /// - Parameters:
    ///   - buffer: Same length on every rank; any length, including 0. May be a view into a larger buffer.
    ///   - op: `.sum`, or `.mean` (the sum divided by `size`).
    /// - Throws: `.mismatch` if ranks disagree on op, length or sequence number (checks on),
    ///   `.timeout` if a peer does not answer in time, `.mpi` if an MPI call fails.
    /// The corresponding MPI call is `MPI_Allreduce(MPI_IN_PLACE, …, MPI_SUM, …)`.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp = .sum) throws {
        try collective(op == .sum ? .allReduceSum : .allReduceMean, count: buffer.count) {
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            if let segment = sharedSegmentInUse {
                return try sharedRing(segment, base, count: buffer.count, stages: 0 ..< 2 * size - 2, mean: op == .mean)
            }
            if let ring = socketRingInUse {
                if buffer.count * 4 < settings.directBelowBytes { return try ring.directAllReduce(base, count: buffer.count, mean: op == .mean) }
                if let h = hierarchyInUse { return try hierarchicalAllReduce(h, base, count: buffer.count, mean: op == .mean, format: .fp32, residual: nil) }
                return try ring.allReduce(base, count: buffer.count, mean: op == .mean, format: .fp32, residual: nil)
            }
            try ringReduceScatter(base, count: buffer.count)
            if op == .mean { scaleOwnChunk(base, count: buffer.count) }
            try ringAllGather(base, count: buffer.count)
        }
    }

    /// The reduce-scatter steps of the schedule above.
    func ringReduceScatter(_ base: UnsafeMutablePointer<Float>, count: Int) throws {
        let n = size, r = rank, depth = Self.depth
        let right = Int32((r + 1) % n), left = Int32((r + n - 1) % n)
        let slice = max(1, settings.sliceBytes / MemoryLayout<Float>.stride)
        ensureScratch(depth * slice)
        for s in 0 ..< n - 1 {
            let sendChunk = ShardLayout.chunk((r - s - 1 + 2 * n) % n, count: count, ranks: n)
            let recvChunk = ShardLayout.chunk((r - s - 2 + 2 * n) % n, count: count, ranks: n)
            let sendSlices = sliceCount(sendChunk.count, slice), recvSlices = sliceCount(recvChunk.count, slice)
            try ensureRequests(2 * depth)
            let recvRequests = requests, sendRequests = requests + depth
            func postReceive(_ k: Int) throws {
                let length = min(slice, recvChunk.count - k * slice)
                try mpiCheck(MPI_Irecv(scratch + (k % depth) * slice, Int32(length), CMPIShim_FLOAT(), left,
                                       Tag.data, collComm, recvRequests + k % depth), "MPI_Irecv")
            }
            func postSend(_ k: Int) throws {
                let length = min(slice, sendChunk.count - k * slice)
                try mpiCheck(MPI_Isend(base + sendChunk.lowerBound + k * slice, Int32(length), CMPIShim_FLOAT(), right,
                                       Tag.data, collComm, sendRequests + k % depth), "MPI_Isend")
            }
            for k in 0 ..< min(depth, recvSlices) { try postReceive(k) }
            for k in 0 ..< min(depth, sendSlices) { try postSend(k) }
            // Sends are paced like receives (at most `depth` in flight): a burst of rendezvous
            // sends piles up in the peer's unexpected-message queue and measured 5-10x slower.
            for k in 0 ..< max(recvSlices, sendSlices) {
                if k < recvSlices {
                    try waitAll(recvRequests + k % depth, 1,
                                waitingFor: "slice \(k) of chunk \(recvChunk) from rank \(left) (reduce-scatter step \(s))")
                    let length = min(slice, recvChunk.count - k * slice)
                    addInPlace(base + recvChunk.lowerBound + k * slice, scratch + (k % depth) * slice, length)
                    if k + depth < recvSlices { try postReceive(k + depth) }
                }
                if k < sendSlices {
                    try waitAll(sendRequests + k % depth, 1,
                                waitingFor: "rank \(right) to receive slice \(k) of chunk \(sendChunk) (reduce-scatter step \(s))")
                    if k + depth < sendSlices { try postSend(k + depth) }
                }
            }
        }
    }

    /// The allgather steps of the schedule above: whole chunks, cut only into messages of
    /// `settings.gatherSliceBytes`, received in place.
    func ringAllGather(_ base: UnsafeMutablePointer<Float>, count: Int) throws {
        let n = size, r = rank
        let right = Int32((r + 1) % n), left = Int32((r + n - 1) % n)
        let slice = max(1, settings.gatherSliceBytes / MemoryLayout<Float>.stride)
        for s in 0 ..< n - 1 {
            let sendChunk = ShardLayout.chunk((r - s + n) % n, count: count, ranks: n)
            let recvChunk = ShardLayout.chunk((r - s - 1 + 2 * n) % n, count: count, ranks: n)
            let sendSlices = sliceCount(sendChunk.count, slice), recvSlices = sliceCount(recvChunk.count, slice)
            try ensureRequests(recvSlices + sendSlices)
            for k in 0 ..< recvSlices {
                let length = min(slice, recvChunk.count - k * slice)
                try mpiCheck(MPI_Irecv(base + recvChunk.lowerBound + k * slice, Int32(length), CMPIShim_FLOAT(), left,
                                       Tag.data, collComm, requests + k), "MPI_Irecv")
            }
            for k in 0 ..< sendSlices {
                let length = min(slice, sendChunk.count - k * slice)
                try mpiCheck(MPI_Isend(base + sendChunk.lowerBound + k * slice, Int32(length), CMPIShim_FLOAT(), right,
                                       Tag.data, collComm, requests + recvSlices + k), "MPI_Isend")
            }
            // The next step forwards the chunk received here, so it must have fully arrived.
            try waitAll(requests, recvSlices + sendSlices,
                        waitingFor: "chunk \(recvChunk) from rank \(left) and chunk \(sendChunk) to rank \(right) (allgather step \(s))")
        }
    }

    /// Divides this rank's reduced chunk by `size` (the mean of a reduce-scatter).
    func scaleOwnChunk(_ base: UnsafeMutablePointer<Float>, count: Int) {
        let own = ShardLayout.chunk(rank, count: count, ranks: size)
        let d = Float(size)
        for i in own { base[i] /= d }
    }
}

/// Number of slices of at most `slice` elements covering `length` elements.
@inline(__always)
func sliceCount(_ length: Int, _ slice: Int) -> Int { (length + slice - 1) / slice }

/// dst[i] += src[i] for i in 0 ..< n (the loop vectorises under -Ounchecked).
@inline(__always)
func addInPlace(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ n: Int) {
    for i in 0 ..< n { dst[i] += src[i] }
}
