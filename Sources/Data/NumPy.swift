// Implements: NumPy, reading `.npy` arrays (format versions 1–3) from a mapped file or from
// memory: the header's dtype, order and shape checked, the body viewed in place.
// Layout: "\x93NUMPY", major, minor, header length (UInt16 LE in v1, UInt32 LE in v2–3), then a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (N, …), } padded with
// spaces to a multiple of 16 (64 since NumPy 1.23), then the elements.
// https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
import Foundation

/// One NumPy array: its element type, shape, and its bytes, viewed where they lie.
public struct NumPyArray: @unchecked Sendable {
    /// The element types Cohort reads: little-endian float32, uint8, int64.
    public enum DType: String, Sendable {
        case float32 = "<f4", uint8 = "|u1", int64 = "<i8"
        /// Bytes per element.
        public var size: Int { self == .float32 ? 4 : self == .uint8 ? 1 : 8 }
    }
    /// The element type.
    public let dtype: DType
    /// The dimensions, outermost first.
    public let shape: [Int]
    /// The elements, C order, `count * dtype.size` bytes.
    public let body: UnsafeRawBufferPointer
    /// Keeps `body`'s memory alive (a MappedFile or inflated bytes).
    public let owner: AnyObject
    /// Number of elements: the product of `shape`.
    public var count: Int { shape.reduce(1, *) }

    /// Element `i` as a Float (uint8 and int64 converted exactly where they fit).
    public func float(_ i: Int) -> Float {
        switch dtype {
        case .float32: return body.loadUnaligned(fromByteOffset: 4 * i, as: Float.self)
        case .uint8: return Float(body[i])
        case .int64: return Float(body.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))
        }
    }

    /// Element `i` as an integer (for labels; a float32 label must be whole).
    public func integer(_ i: Int) -> Int64? {
        switch dtype {
        case .float32: let f = float(i); return f == f.rounded() && abs(f) < 1e15 ? Int64(f) : nil
        case .uint8: return Int64(body[i])
        case .int64: return body.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)
        }
    }
}

/// Reader of `.npy` arrays (format versions 1–3).
public enum NumPy {
    /// Maps `path` and reads the `.npy` array in it.
    /// - Throws: `DataError.format` naming the file: not NumPy, a dtype other than <f4, |u1 or <i8,
    ///   Fortran order, or a body shorter than the shape needs.
    public static func load(_ path: String) throws(DataError) -> NumPyArray {
        let file = try MappedFile(path)
        return try parse(file.bytes, owner: file, name: path)
    }

    /// Reads an `.npy` array held in `bytes` (which `owner` keeps alive); `name` is for errors.
    public static func parse(_ bytes: UnsafeRawBufferPointer, owner: AnyObject, name: String) throws(DataError) -> NumPyArray {
        func fail(_ r: String) -> DataError { .format(path: name, reason: r) }
        let magic: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59]   // \x93NUMPY
        guard bytes.count >= 10, Array(bytes[0..<6]) == magic else { throw fail("not a NumPy .npy file (no \\x93NUMPY magic)") }
        let major = bytes[6]
        let (lenBytes, headerLen): (Int, Int) = major == 1
            ? (2, Int(bytes[8]) | Int(bytes[9]) << 8)
            : (4, bytes.count >= 12 ? (0..<4).reduce(0) { $0 | Int(bytes[8 + $1]) << (8 * $1) } : -1)
        guard (1...3).contains(major) else { throw fail("unknown .npy format version \(major)") }
        let start = 8 + lenBytes
        guard headerLen >= 0, start + headerLen <= bytes.count else { throw fail("header is cut short") }
        let header = String(decoding: bytes[start ..< start + headerLen], as: UTF8.self)
        guard let descr = field(header, "descr").map({ $0.trimmingCharacters(in: CharacterSet(charactersIn: "'\" ")) }) else {
            throw fail("header has no 'descr'")
        }
        let dtype = NumPyArray.DType(rawValue: descr == "<u1" ? "|u1" : descr)
        guard let dtype else {
            throw fail("dtype '\(descr)' is not one Cohort reads (little-endian float32 '<f4', uint8 '|u1' or int64 '<i8')")
        }
        guard let order = field(header, "fortran_order") else { throw fail("header has no 'fortran_order'") }
        guard order.trimmingCharacters(in: .whitespaces) == "False" else {
            throw fail("array is in Fortran order; save it in C order (numpy.ascontiguousarray)")
        }
        guard let shapeText = field(header, "shape") else { throw fail("header has no 'shape'") }
        let dims = shapeText.trimmingCharacters(in: CharacterSet(charactersIn: "() ")).split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        let shape = dims.compactMap { Int($0) }
        guard shape.count == dims.count, shape.allSatisfy({ $0 >= 0 }) else { throw fail("shape (\(shapeText)) is not a tuple of sizes") }
        let count = shape.reduce(1, *), need = count * dtype.size, body = start + headerLen
        guard bytes.count - body >= need else {
            throw .truncated(path: name, expected: need, got: bytes.count - body)
        }
        return NumPyArray(dtype: dtype, shape: shape, body: UnsafeRawBufferPointer(rebasing: bytes[body ..< body + need]), owner: owner)
    }

    /// The text after `'key':` up to the next top-level comma (a tuple counts as one value).
    static func field(_ header: String, _ key: String) -> String? {
        guard let k = header.range(of: "'\(key)'") ?? header.range(of: "\"\(key)\""),
              let colon = header[k.upperBound...].firstIndex(of: ":") else { return nil }
        var depth = 0, out = ""
        for c in header[header.index(after: colon)...] {
            if c == "(" { depth += 1 } else if c == ")" { depth -= 1 }
            if (c == "," && depth == 0) || c == "}" { break }
            out.append(c)
        }
        return out.trimmingCharacters(in: .whitespaces)
    }
}
