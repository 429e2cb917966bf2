// Implements: NPZ, reading one array of a NumPy `.npz` (a zip of .npy members, as numpy.savez
// writes it, or numpy.savez_compressed with deflate). Members are found through the zip's central
// directory (sizes there are right even when a local header defers them); zip64 sizes are read
// from the 0x0001 extra field. A stored member is viewed in the mapped file; a deflated one is
// inflated (zlib, raw deflate) into memory.
// https://pkware.cachefly.net/webdocs/casestudies/APPNOTE.TXT (4.3.7 local header, 4.3.12
// central directory, 4.3.16 end of central directory, 4.5.3 zip64 extra)
import CZlib
import Foundation

/// Reader of one array of a NumPy `.npz` archive (stored or deflated members).
public enum NPZ {
    /// The array `member` (without ".npy"; nil: the only one) of the .npz at `path`.
    /// - Throws: `DataError.format` naming the file and the member.
    public static func load(_ path: String, member: String?) throws(DataError) -> NumPyArray {
        let file = try MappedFile(path), b = file.bytes
        func fail(_ r: String) -> DataError { .format(path: path, reason: r) }
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        func u64(_ o: Int) -> Int { u32(o) | u32(o + 4) << 32 }
        // End of central directory: 22 bytes plus a comment of up to 65,535, at the end.
        guard b.count >= 22, let eocd = stride(from: b.count - 22, through: max(0, b.count - 22 - 65_535), by: -1)
            .first(where: { u32($0) == 0x0605_4B50 }) else { throw fail("not a zip (.npz) file: no end of central directory") }
        var entries: [(name: String, method: Int, compressed: Int, size: Int, local: Int)] = []
        var o = u32(eocd + 16)
        for _ in 0 ..< u16(eocd + 10) {
            guard o + 46 <= b.count, u32(o) == 0x0201_4B50 else { throw fail("zip central directory is damaged") }
            let nameLen = u16(o + 28), extraLen = u16(o + 30), commentLen = u16(o + 32)
            guard o + 46 + nameLen + extraLen <= b.count else { throw fail("zip central directory is damaged") }
            var compressed = u32(o + 20), size = u32(o + 24), local = u32(o + 42)
            var e = o + 46 + nameLen
            while e + 4 <= o + 46 + nameLen + extraLen {   // zip64: the 0xFFFFFFFF fields, in order
                let id = u16(e), len = u16(e + 2)
                if id == 1 {
                    var f = e + 4
                    if size == 0xFFFF_FFFF { size = u64(f); f += 8 }
                    if compressed == 0xFFFF_FFFF { compressed = u64(f); f += 8 }
                    if local == 0xFFFF_FFFF { local = u64(f) }
                }
                e += 4 + len
            }
            let name = String(decoding: b[(o + 46) ..< (o + 46 + nameLen)], as: UTF8.self)
            entries.append((name, u16(o + 10), compressed, size, local))
            o += 46 + nameLen + extraLen + commentLen
        }
        let names = entries.map { String($0.name.dropLast($0.name.hasSuffix(".npy") ? 4 : 0)) }
        guard let i = member.map({ m in names.firstIndex(of: m) }) ?? (entries.count == 1 ? 0 : nil) else {
            throw fail(member.map { "has no array '\($0)' (it holds \(names.joined(separator: ", ")))" }
                       ?? "holds \(entries.count) arrays (\(names.joined(separator: ", "))); name one as \(path):NAME")
        }
        let m = entries[i], what = "\(path):\(names[i])"
        guard m.local + 30 <= b.count, u32(m.local) == 0x0403_4B50 else { throw fail("zip local header of '\(names[i])' is damaged") }
        let data = m.local + 30 + u16(m.local + 26) + u16(m.local + 28)
        guard data + m.compressed <= b.count else { throw .truncated(path: what, expected: m.compressed, got: max(0, b.count - data)) }
        let raw = UnsafeRawBufferPointer(rebasing: b[data ..< data + m.compressed])
        switch m.method {
        case 0: return try NumPy.parse(raw, owner: file, name: what)
        case 8:
            let out = InflatedBytes(count: m.size)
            try out.inflate(raw, name: what)
            return try NumPy.parse(UnsafeRawBufferPointer(out.bytes), owner: out, name: what)
        default: throw fail("member '\(names[i])' uses zip method \(m.method); only stored (0) and deflated (8) are read")
        }
    }
}

/// Memory a deflated member is inflated into (16-byte aligned, so float32 bodies load directly).
final class InflatedBytes {
    let bytes: UnsafeMutableRawBufferPointer
    init(count: Int) { bytes = .allocate(byteCount: max(count, 1), alignment: 16) }
    deinit { bytes.deallocate() }

    /// Inflates raw deflate data (no zlib header: windowBits −15) into `bytes`, exactly filling it.
    func inflate(_ input: UnsafeRawBufferPointer, name: String) throws(DataError) {
        var s = z_stream()
        guard inflateInit2_(&s, -15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .unreadable(path: name, reason: "zlib inflateInit2 failed")
        }
        defer { inflateEnd(&s) }
        s.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        s.avail_in = UInt32(input.count)
        s.next_out = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self)
        s.avail_out = UInt32(bytes.count)
        let rc = CZlib.inflate(&s, Z_FINISH)
        guard rc == Z_STREAM_END, Int(s.total_out) == bytes.count || bytes.count == 1 && s.total_out == 0 else {
            throw .format(path: name, reason: "deflated data is damaged or cut short (zlib inflate returned \(rc) after \(s.total_out) of \(bytes.count) bytes)")
        }
    }
}
