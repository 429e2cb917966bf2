// Implements: the hierarchical allreduce across nodes with several ranks per node. At start the
// ranks are grouped by node (the address each listens on); with K > 1 nodes of L > 1 ranks each,
// every rank joins two more socket rings: its node's L ranks (`nodeRing`) and the K ranks that
// share its local index, one per node (`crossRing`). A reduction is then a reduce-scatter over
// the node (each local rank ends with the node's sum of its 1/L of the buffer), an allreduce of
// that shard between the nodes (in the job's wire format, with error feedback), and an allgather
// over the node. The phases inside the node run over the node's shared memory (SharedRing.swift
// on a window of the node's ranks, `nodeSegment`), or over the node ring's TCP links with
// COHORT_SHARED_MEMORY=0; both add in the same order, so they give the same bits. Each rank
// sends 2(K−1)/K of its shard between nodes, against the flat ring's 2(N−1)/N of the whole buffer
// on each link that leaves a node. Every step is deterministic, so the bits repeat run to run, and
// the same on every rank; the order of additions differs from the flat ring's, so the value
// agrees to rounding. COHORT_HIERARCHICAL=0 keeps the flat ring.
import CMPI
import Foundation

extension MPICommunicator {
    /// (node ring, cross ring) for ranks spread evenly over several nodes, else (nil, nil).
    /// Collective over `world` (every rank decides the same from `addresses`).
    static func makeHierarchy(world: MPI_Comm, rank: Int, addresses: [UInt32], settings: CollectiveSettings) throws -> (SocketRing?, SocketRing?) {
        var nodes: [UInt32] = []
        for a in addresses where !nodes.contains(a) { nodes.append(a) }
        let members = nodes.map { a in addresses.indices.filter { addresses[$0] == a } }
        let local = members[0].count
        guard settings.hierarchical, nodes.count > 1, local > 1, members.allSatisfy({ $0.count == local }) else { return (nil, nil) }
        let node = nodes.firstIndex(of: addresses[rank])!, index = members[node].firstIndex(of: rank)!
        let deadline = monotonicSeconds() + min(settings.timeoutSeconds ?? 60, 60)
        let (inNode, _) = try connectRing(world: world, rank: rank, members: members[node], address: addresses[rank],
                                          settings: settings, deadline: deadline)
        let (across, _) = try connectRing(world: world, rank: rank, members: members.map { $0[index] }, address: addresses[rank],
                                          settings: settings, deadline: deadline)
        return (inNode, across)
    }

    /// The hierarchy's rings, unless the settings turned it (or the sockets) off after `init`.
    var hierarchyInUse: (node: SocketRing, cross: SocketRing)? {
        guard settings.hierarchical, socketRingInUse != nil, let n = nodeRing, let c = crossRing else { return nil }
        return (n, c)
    }

    /// Whether reductions across nodes run hierarchically (see the header).
    public var usesHierarchy: Bool { hierarchyInUse != nil }

    /// Whether the hierarchy's phases inside the node run over the node's shared memory.
    public var hierarchyUsesSharedMemory: Bool { usesHierarchy && nodeSegmentInUse != nil }

    /// Sum (or mean) of `count` floats at `base` over all ranks, every element on every rank.
    func hierarchicalAllReduce(_ rings: (node: SocketRing, cross: SocketRing), _ base: UnsafeMutablePointer<Float>, count: Int,
                               mean: Bool, format: WireFormat, residual: UnsafeMutablePointer<Float>?) throws {
        let inNode = nodeSegmentInUse, l = rings.node.size
        if let inNode { try sharedRing(inNode, base, count: count, stages: 0 ..< l - 1, mean: false) } else {
            try rings.node.reduceScatter(base, count: count, mean: false, format: .fp32, residual: nil)
        }
        let shard = ShardLayout.chunk(rings.node.rank, count: count, ranks: rings.node.size)
        let at = base + shard.lowerBound, kept = residual.map { $0 + shard.lowerBound }
        try rings.cross.reduceScatter(at, count: shard.count, mean: false, format: format, residual: kept)
        if mean {
            let own = ShardLayout.chunk(rings.cross.rank, count: shard.count, ranks: rings.cross.size), d = Float(size)
            for i in own { at[i] /= d }
        }
        // The mean's rounding error reaches the next mean only after division by N again.
        try rings.cross.allGather(at, count: shard.count, format: format, residual: kept, feedbackScale: mean ? Float(size) : 1)
        if let inNode { try sharedRing(inNode, base, count: count, stages: l - 1 ..< 2 * l - 2, mean: false) } else {
            try rings.node.allGather(base, count: count, format: .fp32, residual: nil)
        }
    }
}
