// Implements: reading IDX files (the MNIST format), plain or gzipped, through zlib's gzread.
// Layout: magic (0x0000 08 NDIM, big-endian; 08 = unsigned byte), NDIM big-endian UInt32 sizes,
// then the bytes. https://yann.lecun.com/exdb/mnist/ describes it.
import CZlib
import Foundation

/// Reader of IDX files (the MNIST format), plain or gzipped.
public enum IDX {
    /// The dimensions and raw bytes of an unsigned-byte IDX file with `dims` dimensions.
    /// - Throws: `DataError` naming the file: missing, unreadable, wrong magic, or truncated.
    public static func read(_ path: String, dims: Int) throws(DataError) -> (shape: [Int], bytes: [UInt8]) {
        guard FileManager.default.fileExists(atPath: path) else { throw .missing(path: path) }
        guard let f = gzopen(path, "rb") else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { gzclose(f) }
        let head = try readExactly(f, 4, path: path)
        let magic = head.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let expected = UInt32(0x0800 | dims)
        guard magic == expected else { throw .badMagic(path: path, magic: magic, expected: expected) }
        let sizes = try readExactly(f, 4 * dims, path: path)
        let shape = (0..<dims).map { d in sizes[(4 * d)..<(4 * d + 4)].reduce(0) { $0 << 8 | Int($1) } }
        let n = shape.reduce(1, *)
        guard n <= 1 << 31 else { throw .unreadable(path: path, reason: "sizes \(shape) are implausible") }
        let bytes = try readExactly(f, n, path: path)
        return (shape, bytes)
    }

    private static func readExactly(_ f: gzFile, _ n: Int, path: String) throws(DataError) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        var got = 0
        while got < n {
            let chunk = Int32(min(n - got, 1 << 30))
            let r = out.withUnsafeMutableBytes { gzread(f, $0.baseAddress! + got, UInt32(chunk)) }
            if r < 0 {
                var code: Int32 = 0
                let msg = gzerror(f, &code).map { String(cString: $0) } ?? "zlib error"
                throw .unreadable(path: path, reason: msg)
            }
            if r == 0 { break }
            got += Int(r)
        }
        guard got == n else { throw .truncated(path: path, expected: n, got: got) }
        return out
    }
}
