// Implements: NodeSharedMapping, one block of floats that every rank of this node maps (a POSIX
// shared-memory object), so that ranks on one node can hold ONE copy of a buffer instead of one
// each. NodeMemory makes them; the mapping goes when the last reference is released.
//
// Huge pages: private buffers get transparent huge pages (FloatBuffer), shared memory does not
// when /sys/kernel/mm/transparent_hugepage/shmem_enabled is "never" (the default). Parameters and
// gradients on 4 KB pages then miss the TLB in every sgemm. So the object is sized in whole 2 MB
// pages and mapped 2 MB-aligned, its creator touches it and asks MADV_COLLAPSE (Linux 6.1+),
// which puts shmem on huge pages whatever shmem_enabled says (except "deny"); the other ranks'
// page faults then map the same huge pages. Where the kernel refuses, 4 KB pages serve as before.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Floats mapped by every rank of the node; unmapped when released.
public final class NodeSharedMapping: @unchecked Sendable {
    /// First element; `count` floats, 2 MB-aligned, zero when created.
    public let pointer: UnsafeMutablePointer<Float>
    public let count: Int
    private let bytes: Int

    init(pointer: UnsafeMutablePointer<Float>, count: Int, bytes: Int) {
        self.pointer = pointer; self.count = count; self.bytes = bytes
    }

    deinit { munmap(pointer, bytes) }

    static let hugePage = 2 << 20
    /// madvise(2)'s MADV_COLLAPSE (Linux 6.1); Glibc's headers may predate it.
    static let madviseCollapse: Int32 = 25

    /// `bytes` rounded up to whole huge pages: the size of the object and of every mapping of it.
    static func mappedBytes(_ bytes: Int) -> Int { (max(bytes, 1) + hugePage - 1) / hugePage * hugePage }

    /// Maps `mappedBytes(bytes)` of the shared-memory object `name` at a 2 MB boundary, or nil.
    /// The creator sizes it, touches it and collapses it onto huge pages where the kernel allows.
    /// The corresponding C calls are `shm_open`, `ftruncate`, `mmap` and `madvise`.
    static func map(name: String, bytes: Int, create: Bool) -> UnsafeMutablePointer<Float>? {
        let size = mappedBytes(bytes)
        let fd = create ? shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0o600) : shm_open(name, O_RDWR, 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        if create && ftruncate(fd, off_t(size)) != 0 { shm_unlink(name); return nil }
        guard let p = mapAligned(fd: fd, bytes: size) else {
            if create { shm_unlink(name) }
            return nil
        }
        if create {
            // MADV_COLLAPSE collapses only populated pages; the object is zero, so writing zeros
            // changes nothing but allocates them.
            p.initializeMemory(as: UInt8.self, repeating: 0, count: size)
            _ = madvise(p, size, madviseCollapse)
        }
        return p.bindMemory(to: Float.self, capacity: size / 4)
    }

    /// `mmap(MAP_SHARED)` of `bytes` of `fd` at an address that is a multiple of `hugePage`: a
    /// larger anonymous reservation, the object mapped over its aligned part, the rest unmapped.
    private static func mapAligned(fd: Int32, bytes: Int) -> UnsafeMutableRawPointer? {
        guard let raw = mmap(nil, bytes + hugePage, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), raw != MAP_FAILED else { return nil }
        let start = Int(bitPattern: raw), aligned = (start + hugePage - 1) / hugePage * hugePage
        guard let p = mmap(UnsafeMutableRawPointer(bitPattern: aligned), bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0),
              p != MAP_FAILED else {
            munmap(raw, bytes + hugePage)
            return nil
        }
        if aligned > start { munmap(raw, aligned - start) }
        let tail = start + bytes + hugePage - (aligned + bytes)
        if tail > 0 { munmap(UnsafeMutableRawPointer(bitPattern: aligned + bytes)!, tail) }
        return p
    }
}
