// Implements: LayerNorm over the last dimension, forward and backward (llm.c layernorm_*).
// Shapes: N = rows (B·T), C = features. x, y, dy, dx (N, C); mean, rstd (N); w, b, dw, db (C).
// Forward keeps mean and 1/σ per row (2 floats a row) for backward instead of the normalised x.
// `backward` does input and parameter gradients in one sweep over the rows (each row is read
// while it is in L1); `backwardInput` and `backwardParams` are the same split in two, the
// reference it is tested against.
import Tensor

/// The LayerNorm kernels over the last dimension.
public enum LayerNorm {
    /// ε added to the variance before the square root (PyTorch's default).
    public static let eps: Float = 1e-5

    /// y = (x − mean)·rstd·w + b per row; writes mean (N) and rstd (N) for backward.
    public static func forward(_ y: Tensor, mean: Tensor, rstd: Tensor, _ x: Tensor, weight w: Tensor, bias b: Tensor) {
        let c = w.count, rows = x.count / c, vec = c - c % simdWidth
        let xp = x.pointer, yp = y.pointer, wp = w.pointer, bp = b.pointer
        for r in 0..<rows {
            let row = xp + r * c, out = yp + r * c
            var acc = FloatVector(repeating: 0), j = 0, s: Float = 0
            while j < vec { acc += loadVector(row + j); j += simdWidth }
            s = acc.sum(); while j < c { s += row[j]; j += 1 }
            let m = s / Float(c)
            let vm = FloatVector(repeating: m)
            acc = FloatVector(repeating: 0); j = 0
            while j < vec { let d = loadVector(row + j) - vm; acc += d * d; j += simdWidth }
            var v = acc.sum(); while j < c { let d = row[j] - m; v += d * d; j += 1 }
            let rs = 1 / (v / Float(c) + eps).squareRoot()
            mean[r] = m; rstd[r] = rs
            let vr = FloatVector(repeating: rs)
            j = 0
            while j < vec { storeVector((loadVector(row + j) - vm) * vr * loadVector(wp + j) + loadVector(bp + j), out + j); j += simdWidth }
            while j < c { out[j] = (row[j] - m) * rs * wp[j] + bp[j]; j += 1 }
        }
    }

    /// `backwardInput` then `backwardParams` in one sweep over the rows: dx (N, C) +=, and dw, db
    /// (C) = or += (`accumulate`), with the same sums in the same order as the split pair.
    public static func backward(_ dx: Tensor, dw: Tensor, db: Tensor, _ dy: Tensor, _ x: Tensor, mean: Tensor, rstd: Tensor,
                                weight w: Tensor, accumulate: Bool) {
        let c = w.count, rows = x.count / c, vec = c - c % simdWidth
        if !accumulate { dw.zero(); db.zero() }
        let xp = x.pointer, dyp = dy.pointer, dxp = dx.pointer, wp = w.pointer, dwp = dw.pointer, dbp = db.pointer
        for r in 0..<rows {
            let xr = xp + r * c, dyr = dyp + r * c, dxr = dxp + r * c, mr = mean[r], rr = rstd[r]
            let vm = FloatVector(repeating: mr), vr = FloatVector(repeating: rr)
            var a1 = FloatVector(repeating: 0), a2 = FloatVector(repeating: 0), j = 0
            while j < vec {
                let d = loadVector(dyr + j), n = (loadVector(xr + j) - vm) * vr, dn = d * loadVector(wp + j)
                a1 += dn; a2 += dn * n
                storeVector(loadVector(dwp + j) + d * n, dwp + j)
                storeVector(loadVector(dbp + j) + d, dbp + j)
                j += simdWidth
            }
            var s1 = a1.sum(), s2 = a2.sum()
            while j < c {
                let n = (xr[j] - mr) * rr, dn = dyr[j] * wp[j]
                s1 += dn; s2 += dn * n
                dwp[j] += dyr[j] * (xr[j] - mr) * rr; dbp[j] += dyr[j]; j += 1
            }
            let m1 = s1 / Float(c), m2 = s2 / Float(c), vm1 = FloatVector(repeating: m1), vm2 = FloatVector(repeating: m2)
            j = 0
            while j < vec {
                let n = (loadVector(xr + j) - vm) * vr, dn = loadVector(dyr + j) * loadVector(wp + j)
                storeVector(loadVector(dxr + j) + vr * (dn - vm1 - n * vm2), dxr + j); j += simdWidth
            }
            while j < c { let n = (xr[j] - mr) * rr, dn = dyr[j] * wp[j]; dxr[j] += rr * (dn - m1 - n * m2); j += 1 }
        }
    }

    /// dx (N, C) += rstd·(dn − mean(dn) − n·mean(dn·n)) with n = (x − mean)·rstd, dn = dy·w.
    public static func backwardInput(_ dx: Tensor, _ dy: Tensor, _ x: Tensor, mean: Tensor, rstd: Tensor, weight w: Tensor) {
        let c = w.count, rows = x.count / c, vec = c - c % simdWidth
        let xp = x.pointer, dyp = dy.pointer, dxp = dx.pointer, wp = w.pointer
        for r in 0..<rows {
            let xr = xp + r * c, dyr = dyp + r * c, dxr = dxp + r * c
            let vm = FloatVector(repeating: mean[r]), vr = FloatVector(repeating: rstd[r])
            var a1 = FloatVector(repeating: 0), a2 = FloatVector(repeating: 0), j = 0
            while j < vec {
                let n = (loadVector(xr + j) - vm) * vr, dn = loadVector(dyr + j) * loadVector(wp + j)
                a1 += dn; a2 += dn * n; j += simdWidth
            }
            var s1 = a1.sum(), s2 = a2.sum()
            while j < c { let n = (xr[j] - mean[r]) * rstd[r], dn = dyr[j] * wp[j]; s1 += dn; s2 += dn * n; j += 1 }
            let m1 = s1 / Float(c), m2 = s2 / Float(c)
            let vm1 = FloatVector(repeating: m1), vm2 = FloatVector(repeating: m2)
            j = 0
            while j < vec {
                let n = (loadVector(xr + j) - vm) * vr, dn = loadVector(dyr + j) * loadVector(wp + j)
                storeVector(loadVector(dxr + j) + vr * (dn - vm1 - n * vm2), dxr + j); j += simdWidth
            }
            while j < c {
                let n = (xr[j] - mean[r]) * rstd[r], dn = dyr[j] * wp[j]
                dxr[j] += rstd[r] * (dn - m1 - n * m2); j += 1
            }
        }
    }

    /// dw (C) = Σ_N dy·n and db (C) = Σ_N dy, or += both with `accumulate`.
    public static func backwardParams(dw: Tensor, db: Tensor, _ dy: Tensor, _ x: Tensor, mean: Tensor, rstd: Tensor, accumulate: Bool) {
        let c = dw.count, rows = x.count / c, vec = c - c % simdWidth
        if !accumulate { dw.zero(); db.zero() }
        let xp = x.pointer, dyp = dy.pointer, dwp = dw.pointer, dbp = db.pointer
        for r in 0..<rows {
            let xr = xp + r * c, dyr = dyp + r * c
            let vm = FloatVector(repeating: mean[r]), vr = FloatVector(repeating: rstd[r])
            var j = 0
            while j < vec {
                let d = loadVector(dyr + j), n = (loadVector(xr + j) - vm) * vr
                storeVector(loadVector(dwp + j) + d * n, dwp + j)
                storeVector(loadVector(dbp + j) + d, dbp + j)
                j += simdWidth
            }
            while j < c { dwp[j] += dyr[j] * (xr[j] - mean[r]) * rstd[r]; dbp[j] += dyr[j]; j += 1 }
        }
    }
}
