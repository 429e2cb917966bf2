// Implements: CRC32 (zlib's, the one gzip and PNG use) over byte buffers and files.
import CZlib
import Foundation

/// zlib's CRC32 (the one gzip and PNG use) over bytes.
public enum CRC32 {
    /// Continues `crc` over `count` bytes at `bytes`.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawPointer, count: Int) -> UInt32 {
        var c = UInt(crc), p = bytes, left = count
        while left > 0 {
            let n = min(left, 1 << 30)
            c = crc32(c, p.assumingMemoryBound(to: UInt8.self), UInt32(n))
            p += n
            left -= n
        }
        return UInt32(c)
    }

    /// CRC32 of `data`.
    public static func of(_ data: Data) -> UInt32 {
        data.withUnsafeBytes { update(0, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!, count: $0.count) }
    }
}
