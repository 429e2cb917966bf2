// Implements: CheckpointError, every way a checkpoint can be refused or fail to write, naming the file.

/// Every way a checkpoint can be refused or fail to write; each case names the file or directory.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The named checkpoint (directory or path) does not exist.
    case notFound(String)
    /// No committed checkpoint in `directory` verifies; `reasons` says why each was skipped.
    case noValidCheckpoint(directory: String, reasons: [String])
    /// manifest.json cannot be read or decoded.
    case badManifest(path: String, reason: String)
    /// The manifest's format version is not `Manifest.formatVersion`.
    case unknownVersion(path: String, version: Int)
    /// A rank file the manifest lists is absent.
    case missingFile(path: String)
    /// A rank file's size in bytes differs from the manifest's.
    case wrongSize(path: String, expected: Int, actual: Int)
    /// A rank file's CRC32 differs from the manifest's.
    case badChecksum(path: String, expected: UInt32, actual: UInt32)
    /// The checkpoint does not fit what asks for it (another model, a layout its spec disagrees with).
    case incompatible(String)
    /// A file system operation failed; the message names the path and the reason.
    case io(String)

    /// One line naming the file or directory and what is wrong.
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
