// Implements: DataError, every way a data set can be refused, each naming the file.

/// Every way a data set can be refused; each case names the file or says what disagrees.
public enum DataError: Error, CustomStringConvertible, Equatable {
    /// The file does not exist.
    case missing(path: String)
    /// The file exists but cannot be opened or read; `reason` is the OS or zlib message.
    case unreadable(path: String, reason: String)
    /// The file holds fewer bytes than its header says (`expected`, `got`: bytes).
    case truncated(path: String, expected: Int, got: Int)
    /// The IDX magic is not the one for the expected number of dimensions.
    case badMagic(path: String, magic: UInt32, expected: UInt32)
    /// Files or sizes that disagree, or an empty or too short text; the message says which.
    case mismatch(String)
    /// A label byte at `index` is not below the class count.
    case badLabel(path: String, index: Int, value: UInt8)
    /// A data set that is not where it should be, with how to get it.
    case notFound(String)
    /// A file of a known kind (NumPy, zip, token shard) whose contents break its format.
    case format(path: String, reason: String)

    /// One line naming the file and what is wrong with it.
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
