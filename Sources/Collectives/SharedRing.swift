// Implements: the shared-memory ring, the path of reduceScatter/allGather/allReduce when every
// rank runs on this node (SharedSegment). Same schedule, same chunks and the same order of
// additions as the MPI ring in Ring.swift, so both paths give the same bits.
//
// Stages t = 0 … 2N−3 (N ranks, rank r): t < N−1 are the reduce-scatter steps, t ≥ N−1 the
// allgather steps. In stage t rank r sends chunk (r−t−1) mod N to the right and receives chunk
// (r−t−2) mod N from the left (for t ≥ N−1 this is Ring.swift's allgather step s = t−N+1).
// A chunk is cut into slices of `settings.sharedSliceBytes`. Sending a slice = memcpy from the
// caller's buffer into this rank's next free slot, then a release-store of `produced`. Receiving
// = wait for the left neighbour's `produced`, add the slot into the buffer (reduce-scatter; the
// last step also divides by N for a mean) or copy it (allgather), while the slot is still hot in
// the sender's cache, then a release-store of `consumed`, which frees the slot.
// No MPI call, no syscall and no message matching on this path: one copy out, one read.
// Fused forward: when the next send is the slice just received (same chunk, next stage), the
// add or copy writes it into the outgoing slot in the same pass.
// Synchronisation points, and why:
//   - a send waits for a free slot (the right neighbour has consumed the slice `slots` back);
//   - a send of stage t, slice k waits until this rank has received slice k of stage t−1: it is
//     the same chunk, and the partial sum (or gathered value) must be complete. There is no wait
//     per step: slices of stage t flow while stage t−1 is still arriving (pipelined across steps).
// Every slice carries the caller's CallFingerprint in its slot's stamp; a receiver whose left
// neighbour is in a different call (length, operation or sequence) throws .mismatch.
// Deadlock-free: receiving never waits for sending, and every send waits only on receives or on
// the neighbour's receives.
import Foundation

extension MPICommunicator {
    /// Runs stages `stages` of the schedule above on `base[0 ..< count]` over the shared segment.
    ///
    /// - Parameters:
    ///   - stages: `0 ..< N−1` for reduce-scatter, `N−1 ..< 2N−2` for allgather, both for allreduce.
    ///   - mean: Divide the fully reduced chunk by N (in the last reduce-scatter stage).
    /// - Throws: `CollectiveError.timeout` if a neighbour does not move within the timeout,
    ///   `.mismatch` if the left neighbour's slices belong to a different call.
    func sharedRing(_ segment: SharedSegment, _ base: UnsafeMutablePointer<Float>, count: Int,
                    stages: Range<Int>, mean: Bool) throws {
        // The segment's ranks: the world's when all run on this node, else this node's.
        let n = segment.size, r = segment.rank, right = (r + 1) % n, left = (r + n - 1) % n
        segment.begin(currentFingerprint)
        let slice = max(1, min(settings.sharedSliceBytes, segment.slotBytes) / MemoryLayout<Float>.stride)
        let lastReduce = n - 2, scale = Float(n)
        func sendChunk(_ t: Int) -> Range<Int> { ShardLayout.chunk(((r - t - 1) % n + n) % n, count: count, ranks: n) }
        func recvChunk(_ t: Int) -> Range<Int> { ShardLayout.chunk(((r - t - 2) % n + n) % n, count: count, ranks: n) }
        // Position (stage, slice) of the next send and the next receive; empty stages are skipped.
        var sendT = stages.lowerBound, sendK = 0, sendC = sendChunk(sendT)
        var recvT = stages.lowerBound, recvK = 0, recvC = recvChunk(recvT)
        while sendT < stages.upperBound && sendC.isEmpty { sendT += 1; sendC = sendChunk(sendT) }
        while recvT < stages.upperBound && recvC.isEmpty { recvT += 1; recvC = recvChunk(recvT) }

        func advanceRecv() {
            recvK += 1
            if recvK * slice >= recvC.count {
                recvK = 0; recvT += 1
                while recvT < stages.upperBound { recvC = recvChunk(recvT); if !recvC.isEmpty { break }; recvT += 1 }
            }
        }
        func advanceSend() {
            sendK += 1
            if sendK * slice >= sendC.count {
                sendK = 0; sendT += 1
                while sendT < stages.upperBound { sendC = sendChunk(sendT); if !sendC.isEmpty { break }; sendT += 1 }
            }
        }

        var waiter = SpinThenSleep(own: segment.doorbell(r), spinSeconds: settings.spinSeconds,
                                   timeoutSeconds: settings.timeoutSeconds, yields: oversubscribed)
        while sendT < stages.upperBound || recvT < stages.upperBound {
            var moved = false
            if recvT < stages.upperBound && segment.canTake(left: left) {
                if let theirs = segment.foreignCall(left: left) {
                    throw CollectiveError.mismatch(rank: r, call: currentFingerprint, otherRank: left, otherCall: theirs)
                }
                let src = segment.slot(left, segment.consumed)
                let dst = base + recvC.lowerBound + recvK * slice
                let length = min(slice, recvC.count - recvK * slice)
                // Fused forward: when the next send is this very slice (the same chunk in the next
                // stage) and a slot is free, write the result into our slot in the same pass, while
                // it is in registers, instead of reading it back later.
                let out: UnsafeMutablePointer<Float>? =
                    sendT == recvT + 1 && sendT < stages.upperBound && sendK == recvK && segment.canPublish(right: right) ? segment.slot(r, segment.produced) : nil
                if recvT > lastReduce {
                    dst.update(from: src, count: length)
                    if let out { out.update(from: src, count: length) }
                } else {
                    combine(dst, src, out, length, divisor: mean && recvT == lastReduce ? scale : nil)
                }
                segment.release()
                if out != nil { segment.publish(); advanceSend() }
                advanceRecv()
                moved = true
            }
            // Slice sendK of stage sendT is the slice recvK of stage sendT−1 once that has arrived.
            if sendT < stages.upperBound
                && (sendT == stages.lowerBound || recvT > sendT - 1 || (recvT == sendT - 1 && recvK > sendK))
                && segment.canPublish(right: right) {
                let length = min(slice, sendC.count - sendK * slice)
                memcpy(segment.slot(r, segment.produced), base + sendC.lowerBound + sendK * slice,
                       length * MemoryLayout<Float>.stride)
                segment.publish()
                advanceSend()
                moved = true
            }
            if moved { waiter.reset(); continue }
            // Nothing to do: spin, then sleep on this rank's doorbell until a neighbour publishes
            // or frees a slot (SpinThenSleep.swift), and give up at the deadline.
            try waiter.idle(progress: { segment.neighbourProgress }, timeout: { limit in
                let waitingFor = recvT < stages.upperBound
                    ? "slice \(recvK) of chunk \(recvC) from rank \(left) (shared-memory stage \(recvT))"
                    : "rank \(right) to take slice \(sendK) of chunk \(sendC) (shared-memory stage \(sendT))"
                return CollectiveError.timeout(rank: rank, call: currentCall, waitingFor: waitingFor, seconds: limit)
            })
        }
    }
}

/// dst[i] += src[i], or dst[i] = (dst[i] + src[i]) / divisor for the last reduce-scatter addition
/// of a mean (the same two roundings as adding, then dividing in a second pass, so both paths
/// agree bitwise); with `out`, the result is also stored there.
@inline(__always)
func combine(_ dst: UnsafeMutablePointer<Float>, _ src: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>?,
             _ n: Int, divisor: Float?) {
    switch (out, divisor) {
    case (nil, nil): addInPlace(dst, src, n)
    case (nil, let d?): for i in 0 ..< n { dst[i] = (dst[i] + src[i]) / d }
    case (let o?, nil): for i in 0 ..< n { let v = dst[i] + src[i]; dst[i] = v; o[i] = v }
    case (let o?, let d?): for i in 0 ..< n { let v = (dst[i] + src[i]) / d; dst[i] = v; o[i] = v }
    }
}
