// Implements: MappedFile, a whole file mapped copy-on-write into memory (mmap), kept mapped while
// anything views it. NumPy arrays and token shards are read through it without a copy.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A whole file mapped copy-on-write into memory, unmapped when the last reference goes.
public final class MappedFile: @unchecked Sendable {
    /// The path the file was mapped from.
    public let path: String
    /// The file's bytes (nil for an empty file).
    public let bytes: UnsafeRawBufferPointer

    /// Maps `path` copy-on-write (writes to the memory never reach the file). The corresponding C calls are `open`, `fstat` and `mmap`.
    /// - Throws: `DataError.missing` or `.unreadable` naming the file.
    public init(_ path: String) throws(DataError) {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        let size = Int(st.st_size)
        guard size > 0 else { bytes = UnsafeRawBufferPointer(start: nil, count: 0); return }
        guard let p = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw .unreadable(path: path, reason: "mmap: " + String(cString: strerror(errno)))
        }
        bytes = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit { if let p = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: p), bytes.count) } }
}
