// Implements: DataError, every way a data set can be refused, each naming the file.

public enum DataError: Error, CustomStringConvertible, Equatable {
    case missing(path: String)
    case unreadable(path: String, reason: String)
    case truncated(path: String, expected: Int, got: Int)
    case badMagic(path: String, magic: UInt32, expected: UInt32)
    case mismatch(String)
    case badLabel(path: String, index: Int, value: UInt8)
    case notFound(String)
    /// A file of a known kind (NumPy, zip, token shard) whose contents break its format.
    case format(path: String, reason: String)

    public var description: String {
        switch self {
        case let .missing(p): return "data file not found: \(p)"
        case let .unreadable(p, r): return "cannot read data file \(p): \(r)"
        case let .truncated(p, e, g): return "data file \(p) is truncated: expected \(e) bytes of data, got \(g)"
        case let .badMagic(p, m, e):
            return "data file \(p) is not an IDX file of the expected kind: magic 0x\(String(m, radix: 16)), expected 0x\(String(e, radix: 16))"
        case let .mismatch(s): return s
        case let .badLabel(p, i, v): return "data file \(p): label \(v) at index \(i) is out of range"
        case let .notFound(s): return s
        case let .format(p, r): return "data file \(p): \(r)"
        }
    }
}
