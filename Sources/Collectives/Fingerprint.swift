// Implements: CallFingerprint, the identity of one collective call (operation, length, dtype,
// root, sequence number), and its wire encoding. Ranks exchange fingerprints before a checked
// collective; Check.swift does the exchange.

/// What a collective call is, as ranks compare it before moving any data.
public struct CallFingerprint: Equatable, Sendable, CustomStringConvertible {
    /// The collective operations, numbered for the wire.
    public enum Operation: Int64, Sendable {
        case allReduceSum = 1, allReduceMean, reduceScatterSum, reduceScatterMean, allGather, broadcast, barrier, allGatherBytes
        var name: String {
            switch self {
            case .allReduceSum: return "allReduce(sum)"
            case .allReduceMean: return "allReduce(mean)"
            case .reduceScatterSum: return "reduceScatter(sum)"
            case .reduceScatterMean: return "reduceScatter(mean)"
            case .allGather: return "allGather"
            case .broadcast: return "broadcast"
            case .barrier: return "barrier"
            case .allGatherBytes: return "allGather(bytes)"
            }
        }
    }
    /// Element types: float32 (the data collectives) and bytes (`allGather(bytes:into:)`).
    public static let float32: Int64 = 1, bytes: Int64 = 2

    /// Operation code (an `Operation` raw value; kept raw so a garbled peer value still prints).
    public var operation: Int64
    /// Number of elements.
    public var count: Int64
    /// Element type code.
    public var dtype: Int64
    /// Root rank for broadcast, -1 otherwise.
    public var root: Int64
    /// How many collectives this rank called before this one.
    public var sequence: Int64

    /// Creates a fingerprint.
    public init(_ operation: Operation, count: Int, root: Int = -1, sequence: Int, dtype: Int64 = CallFingerprint.float32) {
        self.operation = operation.rawValue
        self.count = Int64(count)
        self.dtype = dtype
        self.root = Int64(root)
        self.sequence = Int64(sequence)
    }

    /// Number of Int64 words on the wire.
    static let words = 5

    /// The wire form: `[operation, count, dtype, root, sequence]`.
    var encoded: [Int64] { [operation, count, dtype, root, sequence] }

    /// Decodes the wire form.
    init(encoded w: UnsafeBufferPointer<Int64>) {
        precondition(w.count == CallFingerprint.words)
        operation = w[0]; count = w[1]; dtype = w[2]; root = w[3]; sequence = w[4]
    }

    public var description: String {
        let op = Operation(rawValue: operation)?.name ?? "unknown operation \(operation)"
        let type = dtype == CallFingerprint.float32 ? "float32" : dtype == CallFingerprint.bytes ? "bytes" : "dtype \(dtype)"
        let from = root >= 0 ? " from rank \(root)" : ""
        return "\(op)\(from) on \(count) \(type) (collective #\(sequence))"
    }
}
