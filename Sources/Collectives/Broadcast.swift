// Implements: MPICommunicator.broadcast, a pipelined ring broadcast.
// Schedule: the root sends the buffer to root+1 in messages of `settings.gatherSliceBytes`;
// every other rank receives each message straight into the caller's buffer and, unless its
// right neighbour is the root, forwards it as soon as it arrives, so the N−1 hops overlap.
import CMPI
import CMPIShim

extension MPICommunicator {
    /// Copies rank `root`'s `buffer` into every rank's `buffer`.
    ///
    /// - Parameters:
    ///   - buffer: Same length on every rank; any length, including 0.
    ///   - root: The rank whose values everyone gets, in `0 ..< size`.
    /// - Throws: `.invalidArgument` for a root outside the world; `.mismatch` if ranks disagree
    ///   on root or length (checks on); `.timeout`; `.mpi`.
    /// The corresponding MPI call is `MPI_Bcast`.
    public func broadcast(_ buffer: UnsafeMutableBufferPointer<Float>, root: Int) throws {
        try checkPeer(root, "broadcast root")
        try collective(.broadcast, count: buffer.count, root: root) {
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            let slice = max(1, settings.gatherSliceBytes / MemoryLayout<Float>.stride)
            let messages = sliceCount(buffer.count, slice)
            let right = (rank + 1) % size, left = (rank + size - 1) % size
            let forward = right != root
            try ensureRequests(2 * messages)
            let recvRequests = requests, sendRequests = requests + messages
            func postSend(_ k: Int) throws {
                let length = min(slice, buffer.count - k * slice)
                try mpiCheck(MPI_Isend(base + k * slice, Int32(length), CMPIShim_FLOAT(), Int32(right),
                                       Tag.data, collComm, sendRequests + k), "MPI_Isend")
            }
            if rank == root {
                for k in 0 ..< messages { try postSend(k) }
            } else {
                for k in 0 ..< messages {
                    let length = min(slice, buffer.count - k * slice)
                    try mpiCheck(MPI_Irecv(base + k * slice, Int32(length), CMPIShim_FLOAT(), Int32(left),
                                           Tag.data, collComm, recvRequests + k), "MPI_Irecv")
                }
                for k in 0 ..< messages {
                    try waitAll(recvRequests + k, 1, waitingFor: "broadcast message \(k) from rank \(left)")
                    if forward { try postSend(k) }
                }
            }
            if rank == root || forward {
                try waitAll(sendRequests, messages, waitingFor: "rank \(right) to receive the broadcast")
            }
        }
    }
}
