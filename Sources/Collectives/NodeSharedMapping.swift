// Implements: NodeSharedMapping, one block of floats that every rank of this node maps (a POSIX
// shared-memory object), so that ranks on one node can hold ONE copy of a buffer instead of one
// each. NodeMemory makes them; the mapping goes when the last reference is released.
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
