// Implements: WireFormat, the element type gradients take on the cross-node links (fp32, or
// 16-bit bf16/fp16 for half the bytes), and the conversions between it and Float.
// bf16 keeps fp32's exponent (no overflow, 8 bits of mantissa); fp16 keeps 11 bits of mantissa
// but overflows above 65504. Rounding is to nearest, ties to even, as hardware does.

/// What one element of a buffer is on the wire.
public enum WireFormat: String, Sendable, CaseIterable, CustomStringConvertible {
    case fp32, bf16, fp16

    /// Bytes per element on the wire.
    public var bytes: Int { self == .fp32 ? 4 : 2 }

    public var description: String { rawValue }

    /// Writes `n` elements of `src` into `dst` in this format; adds what rounding lost to `residual`.
    func encode(_ src: UnsafePointer<Float>, _ n: Int, into dst: UnsafeMutableRawPointer, residual: UnsafeMutablePointer<Float>?) {
        encode(src, n, into: dst)
        guard let residual, self != .fp32 else { return }
        switch self {
        case .bf16:
            let d = dst.assumingMemoryBound(to: UInt16.self)
            for i in 0 ..< n { residual[i] += src[i] - Float(bitPattern: UInt32(d[i]) << 16) }
        default:
            let d = dst.assumingMemoryBound(to: Float16.self)
            for i in 0 ..< n { residual[i] += src[i] - Float(d[i]) }
        }
    }

    /// Writes `n` elements of `src` into `dst` in this format.
    func encode(_ src: UnsafePointer<Float>, _ n: Int, into dst: UnsafeMutableRawPointer) {
        switch self {
        case .fp32: dst.copyMemory(from: src, byteCount: n * 4)
        case .bf16: encodeBF16(src, n, dst.assumingMemoryBound(to: UInt16.self))
        case .fp16:
            let d = dst.assumingMemoryBound(to: Float16.self)
            for i in 0 ..< n { d[i] = Float16(src[i]) }
        }
    }

    /// dst[i] = value of element i of `src` (in this format), for i in 0 ..< n.
    func decode(_ src: UnsafeRawPointer, _ n: Int, into dst: UnsafeMutablePointer<Float>) {
        switch self {
        case .fp32: UnsafeMutableRawPointer(dst).copyMemory(from: src, byteCount: n * 4)
        case .bf16:
            let s = src.assumingMemoryBound(to: UInt16.self)
            for i in BF16Lanes.decode(src, n, dst) ..< n { dst[i] = Float(bitPattern: UInt32(s[i]) << 16) }
        case .fp16:
            let s = src.assumingMemoryBound(to: Float16.self)
            for i in 0 ..< n { dst[i] = Float(s[i]) }
        }
    }

    /// dst[i] += value of element i of `src`, for i in 0 ..< n.
    func decodeAdding(_ src: UnsafeRawPointer, _ n: Int, into dst: UnsafeMutablePointer<Float>) {
        switch self {
        case .fp32:
            let s = src.assumingMemoryBound(to: Float.self)
            for i in 0 ..< n { dst[i] += s[i] }
        case .bf16:
            let s = src.assumingMemoryBound(to: UInt16.self)
            for i in 0 ..< n { dst[i] += Float(bitPattern: UInt32(s[i]) << 16) }
        case .fp16:
            let s = src.assumingMemoryBound(to: Float16.self)
            for i in 0 ..< n { dst[i] += Float(s[i]) }
        }
    }
}

/// bf16 of `x`, rounded to nearest even; NaN stays a (quiet) NaN.
@inline(__always)
func bf16Bits(_ x: Float) -> UInt16 {
    let b = x.bitPattern
    if b & 0x7fff_ffff > 0x7f80_0000 { return 0x7fc0 }
    return UInt16(truncatingIfNeeded: (b &+ 0x7fff &+ ((b >> 16) & 1)) >> 16)
}

/// `n` floats to bf16, 8 lanes at a time (the scalar rule above: `narrowBF16`).
func encodeBF16(_ src: UnsafePointer<Float>, _ n: Int, _ dst: UnsafeMutablePointer<UInt16>) {
    var i = 0
    while i + 8 <= n {
        let h = narrowBF16(UnsafeRawPointer(src + i).loadUnaligned(as: SIMD8<UInt32>.self))
        UnsafeMutableRawPointer(dst + i).storeBytes(of: h, as: SIMD8<UInt16>.self)
        i += 8
    }
    while i < n { dst[i] = bf16Bits(src[i]); i += 1 }
}
