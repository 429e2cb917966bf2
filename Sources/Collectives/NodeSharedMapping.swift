// Implements: NodeSharedMapping, one block of floats that every rank of this node maps, so that
// ranks on one node can hold ONE copy of a buffer instead of one each. Data-parallel training
// puts the parameters there at ZeRO stages 1 and 2: each rank writes its own shard in place, and
// the parameter allgather becomes a barrier (Parallel/DataParallel.swift).
//
// A POSIX shared-memory object, not an MPI window: its lifetime is the mapping's (unmapped when
// the last reference goes), independent of MPI_Finalize, so a buffer outlives the communicator.
// Creation (collective over the world, only when every rank runs on this node): rank 0 creates
// the object with a fresh name (its pid and a counter) and sizes it; the name is broadcast; the
// other ranks open and map it; every rank's success is summed, so all ranks return a mapping or
// all return nil; then rank 0 removes the name (the mappings stay). A rank killed between the
// creation and the removal leaves one object in /dev/shm, named after rank 0's pid.
import CMPIShim
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Floats mapped by every rank of the node; unmapped when released.
public final class NodeSharedMapping: @unchecked Sendable {
    /// First element; `count` floats, page-aligned, zero when created.
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let bytes: Int

    init(pointer: UnsafeMutablePointer<Float>, count: Int, bytes: Int) {
        self.pointer = pointer; self.count = count; self.bytes = bytes
    }

    deinit { munmap(pointer, bytes) }

    /// Maps `bytes` of the shared-memory object `name`, or nil.
    static func map(name: String, bytes: Int, create: Bool) -> UnsafeMutablePointer<Float>? {
        let fd = create ? shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0o600) : shm_open(name, O_RDWR, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if create && ftruncate(fd, off_t(bytes)) != 0 { shm_unlink(name); return nil }
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), p != MAP_FAILED else {
            if create { shm_unlink(name) }
            return nil
        }
        return p.bindMemory(to: Float.self, capacity: bytes / 4)
    }
}

extension MPICommunicator {
    /// Maps `count` floats shared by all ranks, if all ranks run on this node with shared memory
    /// and shared parameters on (`settings`); otherwise (or if any rank cannot map it) returns nil
    /// on every rank.
    ///
    /// Collective: every rank calls it at the same point with the same `count`.
    /// - Throws: A collective's error (`.timeout`, `.mpi`, `.broken`).
    public func nodeSharedMapping(count: Int) throws -> NodeSharedMapping? {
        guard size > 1, count > 0, settings.nodeShared, sharedSegmentInUse != nil else { return nil }
        let bytes = (count * 4 + 4095) / 4096 * 4096
        nodeSharedMappings += 1
        // The name: rank 0's pid and this communicator's counter, as exact 16-bit floats.
        var id = [Float](repeating: 0, count: 3)
        var mine: UnsafeMutablePointer<Float>?
        if rank == 0 {
            let pid = Int(getpid())
            id = [Float(pid & 0xFFFF), Float(pid >> 16), Float(nodeSharedMappings)]
            mine = NodeSharedMapping.map(name: Self.sharedName(id), bytes: bytes, create: true)
            if mine == nil { id = [-1, -1, -1] }
        }
        try id.withUnsafeMutableBufferPointer { try broadcast($0, root: 0) }
        guard id[0] >= 0 else { return nil }
        if rank != 0 { mine = NodeSharedMapping.map(name: Self.sharedName(id), bytes: bytes, create: false) }
        // Everyone's success summed over N floats (an allreduce of N is a barrier on every rank).
        var failed = [Float](repeating: 0, count: size)
        failed[rank] = mine == nil ? 1 : 0
        try failed.withUnsafeMutableBufferPointer { try allReduce($0, op: .sum) }
        if rank == 0 { shm_unlink(Self.sharedName(id)) }
        guard failed.allSatisfy({ $0 == 0 }), let mine else {
            if let mine { munmap(mine, bytes) }
            return nil
        }
        return NodeSharedMapping(pointer: mine, count: count, bytes: bytes)
    }

    static func sharedName(_ id: [Float]) -> String { "/cohort-\(Int(id[0]) | Int(id[1]) << 16)-\(Int(id[2]))" }
}
