// Implements: CheckpointError, every way a checkpoint can be refused or fail to write, naming the file.

public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    case notFound(String)
    case noValidCheckpoint(directory: String, reasons: [String])
    case badManifest(path: String, reason: String)
    case unknownVersion(path: String, version: Int)
    case missingFile(path: String)
    case wrongSize(path: String, expected: Int, actual: Int)
    case badChecksum(path: String, expected: UInt32, actual: UInt32)
    case incompatible(String)
    case io(String)

    public var description: String {
        switch self {
        case let .notFound(p): return "checkpoint not found: \(p)"
        case let .noValidCheckpoint(d, reasons):
            return "no valid checkpoint in \(d)" + (reasons.isEmpty ? "" : " (" + reasons.joined(separator: "; ") + ")")
        case let .badManifest(p, r): return "checkpoint manifest \(p) is unreadable: \(r)"
        case let .unknownVersion(p, v): return "checkpoint manifest \(p) has format version \(v); this cohort reads version \(Manifest.formatVersion)"
        case let .missingFile(p): return "checkpoint file missing: \(p)"
        case let .wrongSize(p, e, a): return "checkpoint file \(p) has \(a) bytes, the manifest says \(e)"
        case let .badChecksum(p, e, a):
            return "checkpoint file \(p) is corrupt: CRC32 \(String(a, radix: 16)), the manifest says \(String(e, radix: 16))"
        case let .incompatible(s): return s
        case let .io(s): return s
        }
    }
}
