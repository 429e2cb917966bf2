// Implements: MetricsLog, a training run's metrics as JSON lines, one object per epoch (and per
// logged step). The whole file is rewritten atomically on each flush, so a reader never sees a
// torn line and a crash loses at most the lines since the last flush.
import Durable
import Foundation

/// A run's metrics as JSON lines, the whole file rewritten atomically on each flush.
public final class MetricsLog {
    /// The JSON-lines file; nil: records are dropped and nothing is written.
    public let path: String?
    private var lines: [String] = []

    /// Does nothing when `path` is nil.
    public init(path: String?) { self.path = path }

    /// Appends one record (keys sorted, so lines diff cleanly).
    public func append(_ record: [String: Any]) {
        guard path != nil, let data = try? JSONSerialization.data(withJSONObject: record, options: [.sortedKeys]) else { return }
        lines.append(String(decoding: data, as: UTF8.self))
    }

    /// A resumed run continues the file: the records of steps up to `step` (the checkpoint's) are
    /// kept, later ones (the lost attempt's steps, to be trained again) dropped.
    public func resume(atStep step: Int) {
        guard let path, let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        lines = text.split(separator: "\n").map(String.init).filter { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return false }
            return (obj["step"] as? Int).map { $0 <= step } ?? true
        }
    }

    /// Writes every record so far to `path`.
    public func flush() throws(AtomicFileError) {
        guard let path else { return }
        try AtomicFile.write(lines.map { $0 + "\n" }.joined(), to: path)
    }
}
