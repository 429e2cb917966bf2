// Implements: how an MPICommunicator whose ranks span several nodes sets up its SocketRing: each
// rank listens on the address MPI's TCP transport uses, the endpoints travel by MPI_Allgather,
// each rank connects to its right neighbour and accepts its left one, and a hello (the job's
// nonce and the sender's rank) proves that a connection comes from this job's neighbour.
import CMPI
import CMPIShim
import Foundation

extension MPICommunicator {
    /// A socket ring between this job's ranks (nil with one rank or all ranks on one node).
    static func makeSocketRing(world: MPI_Comm, rank: Int, size: Int, settings: CollectiveSettings,
                               environment: [String: String]) throws -> (SocketRing?, [UInt32]) {
        guard size > 1 else { return (nil, []) }
        if !settings.socketRingOnOneNode {
            var node: MPI_Comm? = CMPIShim_COMM_NULL()
            try mpiCheck(MPI_Comm_split_type(world, CMPIShim_COMM_TYPE_SHARED, Int32(rank), CMPIShim_INFO_NULL(), &node),
                         "MPI_Comm_split_type")
            var nodeSize: Int32 = 0
            try mpiCheck(MPI_Comm_size(node, &nodeSize), "MPI_Comm_size")
            try mpiCheck(MPI_Comm_free(&node), "MPI_Comm_free")
            if Int(nodeSize) == size { return (nil, []) }   // one node: shared memory or MPI's own path
        }
        let deadline = monotonicSeconds() + min(settings.timeoutSeconds ?? 60, 60)
        let address = try ringAddress(environment: environment)
        let (flat, addresses) = try connectRing(world: world, rank: rank, members: Array(0 ..< size), address: address,
                                                settings: settings, deadline: deadline)
        return (flat, addresses)
    }

    /// A ring through `members` (world ranks in ring order, this rank among them; nil for one
    /// member), and every rank's address. Collective over `world`: every rank calls it, each
    /// with the members of its own ring, and each call has its own listener, so connections of
    /// different rings never meet in one accept queue.
    static func connectRing(world: MPI_Comm, rank: Int, members: [Int], address: UInt32, settings: CollectiveSettings,
                            deadline: Double) throws -> (SocketRing?, [UInt32]) {
        var size: Int32 = 0
        try mpiCheck(MPI_Comm_size(world, &size), "MPI_Comm_size")
        let listener = try listenTCP(on: address)
        defer { close(listener.fd) }
        // Record: address (4 bytes, network order), port (2), padding (2), nonce (8).
        var mine = [UInt8](repeating: 0, count: 16)
        withUnsafeBytes(of: address) { mine.replaceSubrange(0 ..< 4, with: $0) }
        withUnsafeBytes(of: listener.port) { mine.replaceSubrange(4 ..< 6, with: $0) }
        withUnsafeBytes(of: UInt64.random(in: 1 ... .max)) { mine.replaceSubrange(8 ..< 16, with: $0) }
        var all = [UInt8](repeating: 0, count: 16 * Int(size))
        try mine.withUnsafeBytes { m in
            try all.withUnsafeMutableBytes { a in
                try mpiCheck(MPI_Allgather(m.baseAddress, 16, CMPIShim_BYTE(), a.baseAddress, 16, CMPIShim_BYTE(), world), "MPI_Allgather")
            }
        }
        let addresses = (0 ..< Int(size)).map { i in all.withUnsafeBytes { $0.load(fromByteOffset: 16 * i, as: UInt32.self) } }
        guard members.count > 1, let me = members.firstIndex(of: rank) else { return (nil, addresses) }
        func endpoint(_ i: Int) -> RingEndpoint {
            all.withUnsafeBytes { RingEndpoint(address: $0.load(fromByteOffset: 16 * i, as: UInt32.self),
                                               port: $0.load(fromByteOffset: 16 * i + 4, as: UInt16.self)) }
        }
        let nonce = all.withUnsafeBytes { $0.load(fromByteOffset: 16 * members[0] + 8, as: UInt64.self) }   // the ring's first member's
        let rightRank = members[(me + 1) % members.count], leftRank = members[(me + members.count - 1) % members.count]
        // connect() completes against the listen backlog before the peer accepts, so every rank
        // may connect first and accept second without a deadlock.
        let right = try TCPLink(fd: connectTCP(to: endpoint(rightRank), peer: rightRank, deadline: deadline), peer: rightRank)
        var hello = (nonce, Int64(rank))
        try withUnsafeBytes(of: &hello) { try right.sendAll($0.baseAddress!, 16, deadline: deadline) }
        while true {
            let link = try TCPLink(fd: acceptTCP(listener.fd, peer: leftRank, deadline: deadline), peer: leftRank)
            var got: (UInt64, Int64) = (0, -1)
            let ok = (try? withUnsafeMutableBytes(of: &got) { try link.receiveAll($0.baseAddress!, 16, deadline: deadline) }) != nil
            // Anything else that connects (a stray client, another job) is dropped and waited past.
            if ok && got.0 == nonce && got.1 == Int64(leftRank) {
                let ring = SocketRing(rank: me, size: members.count, right: right, left: link, timeoutSeconds: settings.timeoutSeconds)
                ring.crossesNodes = addresses[rightRank] != address
                return (ring, addresses)
            }
        }
    }

    /// The socket ring, unless the settings turned it off after `init`.
    var socketRingInUse: SocketRing? { settings.socketRing ? socketRing : nil }

    /// Whether the ring collectives run over Cohort's own TCP links (ranks on several nodes).
    public var usesSockets: Bool { socketRingInUse != nil }

    /// Bytes this rank has sent on its socket ring so far (0 without one).
    public var socketBytesSent: Int { (socketRing?.bytesSent ?? 0) + (nodeRing?.bytesSent ?? 0) + (crossRing?.bytesSent ?? 0) }

    /// Bytes this rank has sent to ranks on other nodes so far (the flat ring's, when its right
    /// neighbour is on another node, and the hierarchy's inter-node ring's).
    public var interNodeBytesSent: Int {
        [socketRing, crossRing].reduce(0) { $0 + ($1.map { $0.crossesNodes ? $0.bytesSent : 0 } ?? 0) }
    }

    /// Reduces `buffer` over all ranks in place, with `format` on the wire between nodes and error
    /// feedback in `residual` (same length as `buffer`, zero at first, kept by the caller between
    /// calls). Without a socket ring (one node) the format is ignored: the node's path is fp32.
    public func allReduce(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, format: WireFormat,
                          residual: UnsafeMutablePointer<Float>?) throws {
        // Small buffers take the direct schedule in fp32 (exact: the residual keeps what it holds).
        guard format != .fp32, let ring = socketRingInUse, buffer.count * 4 >= settings.directBelowBytes else { return try allReduce(buffer, op: op) }
        try collective(op == .sum ? .allReduceSum : .allReduceMean, count: buffer.count) {
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            if let h = hierarchyInUse { return try hierarchicalAllReduce(h, base, count: buffer.count, mean: op == .mean, format: format, residual: residual) }
            try ring.allReduce(base, count: buffer.count, mean: op == .mean, format: format, residual: residual)
        }
    }

    /// Reduce-scatter with `format` on the wire between nodes and error feedback in `residual`
    /// (see the allReduce above).
    public func reduceScatter(_ buffer: UnsafeMutableBufferPointer<Float>, op: ReduceOp, format: WireFormat,
                              residual: UnsafeMutablePointer<Float>?) throws {
        guard format != .fp32, let ring = socketRingInUse else { return try reduceScatter(buffer, op: op) }
        try collective(op == .sum ? .reduceScatterSum : .reduceScatterMean, count: buffer.count) {
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            if let h = hierarchyInUse { return try hierarchicalAllReduce(h, base, count: buffer.count, mean: op == .mean, format: format, residual: residual) }
            try ring.reduceScatter(base, count: buffer.count, mean: op == .mean, format: format, residual: residual)
        }
    }
}
