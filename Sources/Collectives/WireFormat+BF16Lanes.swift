// Implements: the bf16 error-feedback kernels of WireFormat+Feedback.swift, 8 lanes at a time.
// Why: the comm thread runs them over every gradient element of every step, and the scalar loops
// (a branch on the format and on the divisor per element) took most of its user time; on two
// shared cores that time is taken from backward. Every lane performs the scalar code's Float
// operations in the same order (IEEE add, subtract, multiply and divide are exact per lane), so
// the bits are those of the scalar kernels, which still handle each call's tail.

/// The floats whose top halves are the 8 bf16 values at `p`.
@inline(__always)
private func widenBF16(_ p: UnsafeRawPointer) -> SIMD8<Float> { widenBF16(p.loadUnaligned(as: SIMD8<UInt16>.self)) }

/// bf16Bits of each lane: rounded to nearest even, NaN to the quiet NaN 0x7fc0. The NaN test is
/// integer arithmetic, not a lane comparison: Swift 6.3 compiles `.>` and `replace(with:where:)`
/// on SIMD8<UInt32> into a loop over the lanes through the stack (perf: 79% of this kernel's
/// time on one store-forwarding stall). |f| + 0x7fffff has bit 31 set exactly when |f| > +inf.
@inline(__always)
func narrowBF16(_ f: SIMD8<UInt32>) -> SIMD8<UInt16> {
    let r = f &+ SIMD8(repeating: 0x7fff) &+ ((f &>> 16) & SIMD8(repeating: 1))
    let nan = SIMD8<UInt32>.zero &- (((f & SIMD8(repeating: 0x7fff_ffff)) &+ SIMD8(repeating: 0x007f_ffff)) &>> 31)
    return SIMD8<UInt16>(truncatingIfNeeded: ((r & ~nan) | (SIMD8(repeating: 0x7fc0_0000) & nan)) &>> 16)
}

@inline(__always)
private func narrowBF16(_ x: SIMD8<Float>) -> SIMD8<UInt16> { narrowBF16(unsafeBitCast(x, to: SIMD8<UInt32>.self)) }

/// The float of each lane's bf16 bits.
@inline(__always)
private func widenBF16(_ h: SIMD8<UInt16>) -> SIMD8<Float> {
    unsafeBitCast(SIMD8<UInt32>(truncatingIfNeeded: h) &<< 16, to: SIMD8<Float>.self)
}

@inline(__always)
private func load(_ p: UnsafePointer<Float>) -> SIMD8<Float> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }

@inline(__always)
private func store(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self) }

enum BF16Lanes {
    /// dst = bf16(src + residual), residual = (src + residual) − dst, for the first n − n % 8
    /// elements; returns how many it did.
    static func encodeFeedingBack(_ src: UnsafePointer<Float>, _ n: Int, _ dst: UnsafeMutableRawPointer,
                                  _ residual: UnsafeMutablePointer<Float>) -> Int {
        var i = 0
        while i + 8 <= n {
            let v = load(src + i) + load(residual + i), q = narrowBF16(v)
            (dst + 2 * i).storeBytes(of: q, as: SIMD8<UInt16>.self)
            store(v - widenBF16(q), residual + i)
            i += 8
        }
        return i
    }

    /// dst = bf16(src), residual = src − dst (overwritten).
    static func encodeSettingResidual(_ src: UnsafePointer<Float>, _ n: Int, _ dst: UnsafeMutableRawPointer,
                                      _ residual: UnsafeMutablePointer<Float>) -> Int {
        var i = 0
        while i + 8 <= n {
            let v = load(src + i), q = narrowBF16(v)
            (dst + 2 * i).storeBytes(of: q, as: SIMD8<UInt16>.self)
            store(v - widenBF16(q), residual + i)
            i += 8
        }
        return i
    }

    /// dst = ((dst + residual) + decoded src) [/ divisor], residual = 0 (with a residual); else
    /// dst = (dst + decoded src) / divisor.
    static func decodeAdding(_ src: UnsafeRawPointer, _ n: Int, _ dst: UnsafeMutablePointer<Float>,
                             _ residual: UnsafeMutablePointer<Float>?, _ divisor: Float?) -> Int {
        var i = 0
        switch (residual, divisor) {
        case let (r?, d?):
            let dv = SIMD8<Float>(repeating: d)
            while i + 8 <= n { store(((load(dst + i) + load(r + i)) + widenBF16(src + 2 * i)) / dv, dst + i); store(.zero, r + i); i += 8 }
        case let (r?, nil):
            while i + 8 <= n { store((load(dst + i) + load(r + i)) + widenBF16(src + 2 * i), dst + i); store(.zero, r + i); i += 8 }
        case let (nil, d?):
            let dv = SIMD8<Float>(repeating: d)
            while i + 8 <= n { store((load(dst + i) + widenBF16(src + 2 * i)) / dv, dst + i); i += 8 }
        case (nil, nil):
            while i + 8 <= n { store(load(dst + i) + widenBF16(src + 2 * i), dst + i); i += 8 }
        }
        return i
    }

    /// staging = bf16(x); residual += (0 + (x − rounded)) · scale (if given); x = rounded.
    static func roundInPlace(_ x: UnsafeMutablePointer<Float>, _ n: Int, _ staging: UnsafeMutableRawPointer,
                             _ residual: UnsafeMutablePointer<Float>?, _ scale: Float) -> Int {
        var i = 0
        let s = SIMD8<Float>(repeating: scale)
        while i + 8 <= n {
            let v = load(x + i), q = narrowBF16(v), back = widenBF16(q)
            (staging + 2 * i).storeBytes(of: q, as: SIMD8<UInt16>.self)
            if let residual { store(load(residual + i) + (SIMD8<Float>.zero + (v - back)) * s, residual + i) }
            store(back, x + i)
            i += 8
        }
        return i
    }

    /// dst = decoded src.
    static func decode(_ src: UnsafeRawPointer, _ n: Int, _ dst: UnsafeMutablePointer<Float>) -> Int {
        var i = 0
        while i + 8 <= n { store(widenBF16(src + 2 * i), dst + i); i += 8 }
        return i
    }
}
