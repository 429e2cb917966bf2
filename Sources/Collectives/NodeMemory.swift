// Implements: NodeMemory, memory that every rank of this node maps, for ranks that all run on one
// node: plain mappings (NodeSharedMapping: data-parallel training keeps ONE copy of the parameters
// there at ZeRO stages 1–2) and per-rank regions for zero-copy reductions (PeerBuffers).
//
// A POSIX shared-memory object, not an MPI window: its lifetime is the mapping's (unmapped when
// the last reference goes), independent of MPI_Finalize, so a buffer outlives the communicator.
// Creation (collective, only when every rank runs on this node with node-shared memory allowed):
// rank 0 creates the object with a fresh name (its pid and a counter) and sizes it; the name's
// two integers go to every rank (the byte collective); the others open and map it; the ranks'
// failures are summed, so all ranks return a mapping or all return nil; then rank 0 removes the
// name (the mappings stay). A rank killed between the creation and the removal leaves one
// object in /dev/shm, named after rank 0's pid.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

public final class NodeMemory {
    private let comm: Communicator
    /// Mappings this process has made (part of each one's name).
    nonisolated(unsafe) private static var made: Int64 = 0

    /// - Parameter comm: The group; the calls below are collective over it.
    public init(comm: Communicator) { self.comm = comm }

    /// Whether the calls below can succeed: more than one rank, all on this node (the
    /// shared-memory ring is in use) and `settings.nodeShared` on.
    public var available: Bool { comm.size > 1 && comm.settings.nodeShared && comm.usesSharedMemory }

    /// `count` floats mapped by every rank, zero-filled; nil on every rank unless `available`
    /// and every rank could map it. Collective: every rank calls it with the same `count`.
    /// - Throws: A collective's error (`.timeout`, `.mpi`, `.broken`).
    public func mapping(count: Int) throws -> NodeSharedMapping? {
        guard available, count > 0 else { return nil }
        let bytes = NodeSharedMapping.mappedBytes(count * 4)
        NodeMemory.made += 1
        var id: [Int64] = [-1, -1], mine: UnsafeMutablePointer<Float>?
        if comm.rank == 0 {
            let fresh = [Int64(getpid()), NodeMemory.made]
            mine = NodeSharedMapping.map(name: Self.name(fresh), bytes: bytes, create: true)
            if mine != nil { id = fresh }
        }
        id = Array(try comm.allGather(id).prefix(2))   // rank 0's name
        guard id[0] >= 0 else { return nil }
        if comm.rank != 0 { mine = NodeSharedMapping.map(name: Self.name(id), bytes: bytes, create: false) }
        let failed = try comm.sumOverRanks([Int64(mine == nil ? 1 : 0)])[0]   // also a barrier: all have opened it
        if comm.rank == 0 { shm_unlink(Self.name(id)) }
        guard failed == 0, let mine else {
            if let mine { munmap(mine, bytes) }
            return nil
        }
        return NodeSharedMapping(pointer: mine, count: count, bytes: bytes)
    }

    /// Regions of `count` floats, one per rank, that every rank maps (zero-copy reductions); nil
    /// on every rank as for `mapping`. Collective.
    public func peerBuffers(count: Int) throws -> PeerBuffers? {
        let bytes = PeerBuffers.headerBytes(comm.size) + comm.size * PeerBuffers.regionBytes(count)
        guard let mapping = try mapping(count: bytes / 4) else { return nil }
        return PeerBuffers(mapping: mapping, count: count, rank: comm.rank, size: comm.size, settings: comm.settings)
    }

    static func name(_ id: [Int64]) -> String { "/cohort-\(id[0])-\(id[1])" }
}
