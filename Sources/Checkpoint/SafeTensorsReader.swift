// Implements: reading a safetensors file, checking its header: the length, the JSON, each
// tensor's dtype (F32 only), shape and data_offsets against the data section, and that no two
// tensors' bytes overlap. Tensors come back in the order of their offsets.
import Foundation

extension SafeTensors {
    /// Headers larger than this are refused before they are read (the format's own limit is 100 MB).
    public static let maxHeaderBytes = 100 << 20

    /// Reads the safetensors file at `path`.
    /// - Throws: `SafeTensorsError` naming the file and the first thing wrong with it.
    public static func read(_ path: String) throws(SafeTensorsError) -> SafeTensors {
        guard let d = FileManager.default.contents(atPath: path) else {
            throw SafeTensorsError(path, FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist")
        }
        return try decode(d, path: path)
    }

    /// Decodes a safetensors file's bytes; `path` names it in errors.
    public static func decode(_ d: Data, path: String) throws(SafeTensorsError) -> SafeTensors {
        func fail(_ r: String) -> SafeTensorsError { SafeTensorsError(path, r) }
        guard d.count >= 8 else { throw fail("is \(d.count) bytes long, shorter than the 8-byte header length") }
        let n = d.prefix(8).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
        guard n <= UInt64(min(maxHeaderBytes, d.count - 8)) else {
            throw fail("header length \(n) runs past the end of the \(d.count)-byte file (not a safetensors file?)")
        }
        let header = d.subdata(in: 8 ..< 8 + Int(n)), dataStart = 8 + Int(n), dataBytes = d.count - dataStart
        guard let obj = try? JSONSerialization.jsonObject(with: header), let top = obj as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        if let m = top["__metadata__"] {
            guard let m = m as? [String: Any], let strings = m as? [String: String] else { throw fail("__metadata__ must map strings to strings") }
            _ = m
            metadata = strings
        }
        var found: [(name: String, shape: [Int], range: Range<Int>)] = []
        for (name, v) in top where name != "__metadata__" {
            guard let t = v as? [String: Any], let dtype = t["dtype"] as? String,
                  let shape = (t["shape"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }),
                  let offs = (t["data_offsets"] as? [Any])?.compactMap({ ($0 as? NSNumber)?.intValue }), offs.count == 2 else {
                throw fail("tensor '\(name)' needs dtype, shape and data_offsets [begin, end]")
            }
            guard dtype == "F32" else { throw fail("tensor '\(name)' has dtype \(dtype); Cohort reads F32 only") }
            guard shape.allSatisfy({ $0 >= 0 }) else { throw fail("tensor '\(name)' has shape \(shape)") }
            let (b, e) = (offs[0], offs[1])
            guard b >= 0, e >= b, e <= dataBytes else {
                throw fail("tensor '\(name)' has data_offsets [\(b), \(e)] outside the \(dataBytes) bytes of data")
            }
            guard e - b == shape.reduce(1, *) * 4 else {
                throw fail("tensor '\(name)' has \(e - b) bytes at data_offsets [\(b), \(e)]; shape \(shape) of F32 needs \(shape.reduce(1, *) * 4)")
            }
            found.append((name, shape, b ..< e))
        }
        found.sort { ($0.range.lowerBound, $0.range.upperBound, $0.name) < ($1.range.lowerBound, $1.range.upperBound, $1.name) }
        for (a, b) in zip(found, found.dropFirst()) where b.range.lowerBound < a.range.upperBound && !a.range.isEmpty && !b.range.isEmpty {
            throw fail("tensors '\(a.name)' (bytes \(a.range.lowerBound)..<\(a.range.upperBound)) and '\(b.name)' "
                       + "(bytes \(b.range.lowerBound)..<\(b.range.upperBound)) overlap")
        }
        let tensors = found.map { f in
            Tensor(name: f.name, shape: f.shape, values: d.withUnsafeBytes { raw in
                (0 ..< f.range.count / 4).map { raw.loadUnaligned(fromByteOffset: dataStart + f.range.lowerBound + 4 * $0, as: UInt32.self) }
                    .map { Float(bitPattern: UInt32(littleEndian: $0)) }
            })
        }
        var s = SafeTensors(tensors: tensors, metadata: metadata)
        s.path = path
        return s
    }
}
