// Implements: RNG, a seeded, splittable pseudo-random generator (xoshiro256**, seeded through
// SplitMix64). The same seed gives the same stream on every machine; `split(_:)` derives an
// independent child stream from a key (layer index, epoch, rank) without touching the parent.
// Its whole state is four words, so checkpoints store it exactly.

/// A reproducible random stream. Value type: copying it copies the position in the stream.
public struct RNG: Sendable, Equatable, Codable {
    /// xoshiro256** state; never all zero.
    public private(set) var state: (UInt64, UInt64, UInt64, UInt64)

    /// A stream determined by `seed` alone.
    public init(seed: UInt64) {
        var sm = seed
        state = (RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm), RNG.splitMix(&sm))
    }

    /// A stream resumed from a saved `state` (see `words`).
    public init(words: [UInt64]) {
        precondition(words.count == 4, "RNG state needs 4 words, got \(words.count)")
        state = (words[0], words[1], words[2], words[3])
    }

    /// The state as four words, for checkpoints.
    public var words: [UInt64] { [state.0, state.1, state.2, state.3] }

    /// An independent stream for `key`, derived from this stream's current state.
    public func split(_ key: UInt64) -> RNG {
        var sm = state.0 ^ RNG.mix(key &+ 0x9E37_79B9_7F4A_7C15) ^ RNG.mix(state.2)
        return RNG(seed: RNG.splitMix(&sm))
    }

    /// Next 64 random bits.
    @inline(__always)
    public mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    /// Uniform in [0, 1) with 24 bits of precision.
    @inline(__always)
    public mutating func uniform() -> Float { Float(next() >> 40) * (1.0 / 16_777_216.0) }

    /// Uniform in [lo, hi).
    @inline(__always)
    public mutating func uniform(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * uniform() }

    /// Standard normal (Box–Muller; one of the pair is used, for a simple state).
    public mutating func normal() -> Float {
        let u1 = max(Double(next() >> 11) * 0x1p-53, 1e-300), u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// Uniform integer in 0..<n (n > 0), without modulo bias (Lemire).
    @inline(__always)
    public mutating func below(_ n: Int) -> Int {
        precondition(n > 0, "below(\(n))")
        let bound = UInt64(n)
        var m = next().multipliedFullWidth(by: bound)
        if m.low < bound {
            let threshold = (0 &- bound) % bound
            while m.low < threshold { m = next().multipliedFullWidth(by: bound) }
        }
        return Int(m.high)
    }

    /// A uniformly random permutation of 0..<n (Fisher–Yates).
    public mutating func permutation(_ n: Int) -> [Int] {
        var p = Array(0..<n)
        if n > 1 { for i in stride(from: n - 1, to: 0, by: -1) { p.swapAt(i, below(i + 1)) } }
        return p
    }

    /// Equal when the four state words are equal.
    public static func == (a: RNG, b: RNG) -> Bool { a.words == b.words }

    /// Decodes the four state words.
    /// - Throws: `DecodingError.dataCorrupted` unless there are exactly 4 words, not all zero.
    public init(from decoder: Decoder) throws {
        let w = try [UInt64](from: decoder)
        guard w.count == 4, w != [0, 0, 0, 0] else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "RNG state must be 4 words, not all zero"))
        }
        self.init(words: w)
    }

    /// Encodes the state as its four words (see `words`).
    public func encode(to encoder: Encoder) throws { try words.encode(to: encoder) }

    @inline(__always) private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    static func splitMix(_ s: inout UInt64) -> UInt64 {
        s &+= 0x9E37_79B9_7F4A_7C15
        return mix(s)
    }

    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

import Foundation
@inline(__always) private func _log(_ x: Double) -> Double { Foundation.log(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Foundation.cos(x) }
