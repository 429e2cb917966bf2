// Implements: the error-feedback kernels of WireFormat, each one pass over its elements where a
// separate add-the-residual, zero-it and encode would be three: the residual is added to a
// value where the value is first touched (its own contribution as it is encoded, or a partial
// sum as received bytes are added to it), and the rounding error is written where the value is
// encoded. Every kernel performs the same Float operations in the same order as the separate
// passes did, so the bits of every result are unchanged.

extension WireFormat {
    /// dst = round(src + residual); residual = (src + residual) − dst, for n elements. `src` is
    /// not written (a reduce-scatter's first send: the partial sums that follow live elsewhere).
    func encodeFeedingBack(_ src: UnsafePointer<Float>, _ n: Int, into dst: UnsafeMutableRawPointer,
                           residual: UnsafeMutablePointer<Float>) {
        switch self {
        case .fp32:
            let d = dst.assumingMemoryBound(to: Float.self)
            for i in 0 ..< n { d[i] = src[i] + residual[i]; residual[i] = 0 }
        case .bf16:
            let d = dst.assumingMemoryBound(to: UInt16.self)
            for i in BF16Lanes.encodeFeedingBack(src, n, dst, residual) ..< n {
                let v = src[i] + residual[i], q = bf16Bits(v)
                d[i] = q
                residual[i] = v - Float(bitPattern: UInt32(q) << 16)
            }
        case .fp16:
            let d = dst.assumingMemoryBound(to: Float16.self)
            for i in 0 ..< n {
                let v = src[i] + residual[i], q = Float16(v)
                d[i] = q
                residual[i] = v - Float(q)
            }
        }
    }

    /// dst = round(src); residual = src − dst (residual's old values are overwritten: a partial
    /// sum whose residual was already folded in by `decodeAdding(…, residual:)`).
    func encodeSettingResidual(_ src: UnsafePointer<Float>, _ n: Int, into dst: UnsafeMutableRawPointer,
                               residual: UnsafeMutablePointer<Float>) {
        switch self {
        case .fp32: encode(src, n, into: dst)
        case .bf16:
            let d = dst.assumingMemoryBound(to: UInt16.self)
            for i in BF16Lanes.encodeSettingResidual(src, n, dst, residual) ..< n {
                d[i] = bf16Bits(src[i]); residual[i] = src[i] - Float(bitPattern: UInt32(d[i]) << 16)
            }
        case .fp16:
            let d = dst.assumingMemoryBound(to: Float16.self)
            for i in 0 ..< n { let q = Float16(src[i]); d[i] = q; residual[i] = src[i] - Float(q) }
        }
    }

    /// dst[i] = ((dst[i] + residual[i]) + decoded src[i]) · scale, then residual[i] = 0; without
    /// a residual dst[i] = (dst[i] + decoded src[i]) · scale. `scale` 1 leaves the sum as it is
    /// (the multiplication is skipped, not performed, so a sum keeps its bits); 1/N divides.
    func decodeAdding(_ src: UnsafeRawPointer, _ n: Int, into dst: UnsafeMutablePointer<Float>,
                      residual: UnsafeMutablePointer<Float>?, divideBy divisor: Float?) {
        guard residual != nil || divisor != nil else { return decodeAdding(src, n, into: dst) }
        let first = self == .bf16 ? BF16Lanes.decodeAdding(src, n, dst, residual, divisor) : 0
        @inline(__always) func value(_ i: Int) -> Float {
            switch self {
            case .fp32: return src.load(fromByteOffset: 4 * i, as: Float.self)
            case .bf16: return Float(bitPattern: UInt32(src.load(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            case .fp16: return Float(src.load(fromByteOffset: 2 * i, as: Float16.self))
            }
        }
        if let residual {
            for i in first ..< n {
                let s = (dst[i] + residual[i]) + value(i)
                dst[i] = divisor.map { s / $0 } ?? s
                residual[i] = 0
            }
        } else if let d = divisor {
            for i in first ..< n { dst[i] = (dst[i] + value(i)) / d }
        }
    }

    /// Rounds n elements in place through this format: staging gets the encoded bytes, x the
    /// rounded value, residual += (x − rounded) · scale (the owner's chunk before an allgather).
    func roundInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, staging: UnsafeMutableRawPointer,
                      residual: UnsafeMutablePointer<Float>?, scale: Float) {
        if self == .fp32 { return encode(UnsafePointer(x), n, into: staging) }
        let first = self == .bf16 ? BF16Lanes.roundInPlace(x, n, staging, residual, scale) : 0
        encode(UnsafePointer(x + first), n - first, into: staging + first * bytes)
        switch self {
        case .fp32: return
        case .bf16:
            let d = staging.assumingMemoryBound(to: UInt16.self)
            for i in first ..< n {
                let q = Float(bitPattern: UInt32(d[i]) << 16)
                if let residual { residual[i] += (0 + (x[i] - q)) * scale }
                x[i] = q
            }
        case .fp16:
            let d = staging.assumingMemoryBound(to: Float16.self)
            for i in first ..< n {
                let q = Float(d[i])
                if let residual { residual[i] += (0 + (x[i] - q)) * scale }
                x[i] = q
            }
        }
    }
}
