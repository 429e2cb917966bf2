// Implements: MPICommunicator's point-to-point messages (send, recv, sendRecv on their own
// duplicate of MPI_COMM_WORLD) and its dissemination barrier; every request is polled against
// the deadline (`waitAll`).
import CMPI
import CMPIShim

extension MPICommunicator {
    public func send(_ buffer: UnsafeBufferPointer<Float>, to peer: Int, tag: Int) throws {
        try checkPeer(peer, "send(to:)"); try checkTag(tag)   // before `operation`: nothing in flight yet
        try operation("send of \(buffer.count) floats to rank \(peer)") {
            try ensureRequests(1)
            try mpiCheck(MPI_Isend(buffer.baseAddress, try messageCount(buffer.count), CMPIShim_FLOAT(),
                                   Int32(peer), Int32(tag), p2pComm, requests), "MPI_Isend")
            try waitAll(requests, 1, waitingFor: "the send to rank \(peer) to complete")
        }
    }

    public func recv(_ buffer: UnsafeMutableBufferPointer<Float>, from peer: Int, tag: Int) throws {
        try checkPeer(peer, "recv(from:)"); try checkTag(tag)
        try operation("recv of \(buffer.count) floats from rank \(peer)") {
            try ensureRequests(1)
            try mpiCheck(MPI_Irecv(buffer.baseAddress, try messageCount(buffer.count), CMPIShim_FLOAT(),
                                   Int32(peer), Int32(tag), p2pComm, requests), "MPI_Irecv")
            try waitAll(requests, 1, waitingFor: "a message from rank \(peer)")
        }
    }

    public func sendRecv(_ send: UnsafeBufferPointer<Float>, to destination: Int,
                         _ receive: UnsafeMutableBufferPointer<Float>, from source: Int, tag: Int) throws {
        try checkPeer(destination, "sendRecv(to:)"); try checkPeer(source, "sendRecv(from:)"); try checkTag(tag)
        try operation("sendRecv to rank \(destination), from rank \(source)") {
            try ensureRequests(2)
            try mpiCheck(MPI_Irecv(receive.baseAddress, try messageCount(receive.count), CMPIShim_FLOAT(),
                                   Int32(source), Int32(tag), p2pComm, requests), "MPI_Irecv")
            try mpiCheck(MPI_Isend(send.baseAddress, try messageCount(send.count), CMPIShim_FLOAT(),
                                   Int32(destination), Int32(tag), p2pComm, requests + 1), "MPI_Isend")
            try waitAll(requests, 2, waitingFor: "the exchange with ranks \(destination) and \(source)")
        }
    }

    /// Returns once every rank has entered the barrier (fingerprinted like any collective).
    ///
    /// A dissemination barrier: in round k every rank sends an empty message to rank + 2^k and
    /// waits for one from rank − 2^k; after ⌈log2 N⌉ rounds everyone has heard from everyone.
    /// Not `MPI_Ibarrier`: any non-blocking MPI collective registers libnbc's progress hook,
    /// which then costs ~6% of every later MPI_Test (measured with perf).
    public func barrier() throws {
        try collective(.barrier, count: 0) {
            try ensureRequests(2)
            var distance = 1
            while distance < size {
                let to = Int32((rank + distance) % size), from = Int32((rank - distance + size) % size)
                try mpiCheck(MPI_Irecv(nil, 0, CMPIShim_FLOAT(), from, Tag.barrier, collComm, requests), "MPI_Irecv")
                try mpiCheck(MPI_Isend(nil, 0, CMPIShim_FLOAT(), to, Tag.barrier, collComm, requests + 1), "MPI_Isend")
                try waitAll(requests, 2, waitingFor: "rank \(from) to enter the barrier")
                distance *= 2
            }
        }
    }
}
