// Implements: TokenShard, reading llm.c's `.bin` token shards into a TextCorpus.
// Layout: a header of 256 little-endian Int32 — [0] magic 20240520, [1] version 1, [2] token
// count n — then n little-endian UInt16 tokens (1024 + 2n bytes in all). Cohort's GPT has a
// vocabulary of 256 (bytes), so every token must be below 256; a shard of a text's bytes trains
// exactly as the text does.
import Foundation

/// Reader of llm.c `.bin` token shards.
public enum TokenShard {
    /// Header word 0 of every shard.
    public static let magic: Int32 = 20_240_520
    /// The one shard version read (header word 1).
    public static let version: Int32 = 1
    /// Header size in bytes: 256 Int32.
    public static let headerBytes = 256 * 4

    /// The tokens of the shard at `path`, mapped.
    /// - Throws: `DataError` naming the file: wrong magic or version, or fewer tokens than the header says.
    public static func tokens(_ path: String) throws(DataError) -> (file: MappedFile, tokens: UnsafeBufferPointer<UInt16>) {
        let f = try MappedFile(path), b = f.bytes
        guard b.count >= headerBytes else { throw .truncated(path: path, expected: headerBytes, got: b.count) }
        let head = (0..<3).map { b.loadUnaligned(fromByteOffset: 4 * $0, as: Int32.self).littleEndian }
        guard head[0] == magic else {
            throw .format(path: path, reason: "not an llm.c token shard: magic \(head[0]), expected \(magic)")
        }
        guard head[1] == version else { throw .format(path: path, reason: "token shard version \(head[1]), expected \(version)") }
        let n = Int(head[2])
        guard n >= 0, b.count - headerBytes >= 2 * n else {
            throw .truncated(path: path, expected: 2 * max(n, 0), got: b.count - headerBytes)
        }
        let p = b.baseAddress!.advanced(by: headerBytes).assumingMemoryBound(to: UInt16.self)
        return (f, UnsafeBufferPointer(start: p, count: n))
    }
}

extension TextCorpus {
    /// The tokens of `shards`, in order, as a corpus of byte tokens (vocabulary `vocab`).
    /// - Throws: `DataError` for a bad shard, an empty one, or a token outside 0..<vocab.
    public static func load(tokenShards shards: [String], vocab: Int = 256) throws(DataError) -> TextCorpus {
        var all: [UInt8] = []
        for s in shards {
            let (file, tokens) = try TokenShard.tokens(s)
            guard !tokens.isEmpty else { throw .mismatch("token shard \(s) holds no tokens") }
            all.reserveCapacity(all.count + tokens.count)
            for (i, t) in tokens.enumerated() {
                guard Int(t) < min(vocab, 256) else {
                    throw .format(path: s, reason: "token \(t) at index \(i) is outside the model's vocabulary of \(vocab)")
                }
                all.append(UInt8(t))
            }
            withExtendedLifetime(file) {}
        }
        return TextCorpus(bytes: all)
    }
}
