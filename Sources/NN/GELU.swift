// Implements: GELU in its tanh form (GPT-2's), forward and backward, 8 lanes at a time.
//   y = ½x(1 + tanh u),  u = √(2/π)(x + 0.044715x³)
//   dy/dx = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)
// Shapes: x, y, dy, dx (count). Backward needs the input x (kept by the caller), not y.
// Training uses the fused pair instead: `forward(_:slope:)` writes gelu'(x) over x (the GPT keeps
// fc1's output only for GELU's backward), so backward is one multiply pass with no tanh, and
// folds fc1's bias gradient (the column sums of dx) into that same pass. The plain pair is the
// reference the fused one is tested against.
import Tensor

/// The GELU kernels (tanh form), forward and backward.
public enum GELU {
    static let k: Float = 0.797_884_56, a: Float = 0.044_715

    /// y = gelu(x); y may be x.
    public static func forward(_ y: Tensor, _ x: Tensor) {
        let n = x.count, vec = n - n % simdWidth, xp = x.pointer, yp = y.pointer
        let vk = FloatVector(repeating: k), va = FloatVector(repeating: a), half = FloatVector(repeating: 0.5)
        var i = 0
        while i < vec {
            let v = loadVector(xp + i)
            let u: FloatVector = vk * (v + va * v * v * v)
            let t = vtanh(u)
            storeVector(half * v * (FloatVector(repeating: 1) + t), yp + i)
            i += simdWidth
        }
        while i < n { let v = xp[i]; yp[i] = 0.5 * v * (1 + tanhf(k * (v + a * v * v * v))); i += 1 }
    }

    /// y = gelu(x), and x (rows, F) is overwritten by gelu'(x) for `backward(_:_:slope:biasGradient:)`.
    public static func forward(_ y: Tensor, slope x: Tensor) {
        let n = x.count, vec = n - n % simdWidth, xp = x.pointer, yp = y.pointer
        let vk = FloatVector(repeating: k), va = FloatVector(repeating: a), va3 = FloatVector(repeating: 3 * a)
        let half = FloatVector(repeating: 0.5), one = FloatVector(repeating: 1)
        var i = 0
        while i < vec {
            let v = loadVector(xp + i), v2 = v * v
            let t = vtanh(vk * (v + va * v2 * v))
            let hv = half * v, onePlus = one + t
            storeVector(hv * onePlus, yp + i)
            let slope: FloatVector = vk * (one + va3 * v2)
            storeVector(half * onePlus + hv * (one - t * t) * slope, xp + i)
            i += simdWidth
        }
        while i < n {
            let v = xp[i], t = tanhf(k * (v + a * v * v * v))
            yp[i] = 0.5 * v * (1 + t)
            xp[i] = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * a * v * v)
            i += 1
        }
    }

    /// dx = dy · slope (rows, F), the slope from `forward(_:slope:)`; dx may be dy. Then
    /// db (F) = Σ_rows dx, or += with `accumulate`: the bias gradient of the Linear before GELU.
    public static func backward(_ dx: Tensor, _ dy: Tensor, slope s: Tensor, biasGradient db: Tensor, accumulate: Bool) {
        let f = db.count, rows = s.count / max(f, 1), vec = f - f % simdWidth
        let sp = s.pointer, dyp = dy.pointer, dxp = dx.pointer, bp = db.pointer
        precondition(rows * f == s.count && dy.count == s.count && dx.count == s.count, "GELU.backward: \(s.count) for bias \(f)")
        if !accumulate { db.zero() }
        for r in 0..<rows {
            let o = r * f
            var j = 0
            while j < vec {
                let d = loadVector(dyp + o + j) * loadVector(sp + o + j)
                storeVector(d, dxp + o + j)
                storeVector(loadVector(bp + j) + d, bp + j)
                j += simdWidth
            }
            while j < f { let d = dyp[o + j] * sp[o + j]; dxp[o + j] = d; bp[j] += d; j += 1 }
        }
    }

    /// dx = dy · gelu'(x); dx may be dy.
    public static func backward(_ dx: Tensor, _ dy: Tensor, _ x: Tensor) {
        let n = x.count, vec = n - n % simdWidth, xp = x.pointer, dyp = dy.pointer, dxp = dx.pointer
        let vk = FloatVector(repeating: k), va = FloatVector(repeating: a), va3 = FloatVector(repeating: 3 * a)
        let half = FloatVector(repeating: 0.5)
        var i = 0
        while i < vec {
            let v = loadVector(xp + i), v2 = v * v
            let u: FloatVector = vk * (v + va * v2 * v)
            let t = vtanh(u)
            let one = FloatVector(repeating: 1)
            let slope: FloatVector = vk * (one + va3 * v2)
            let sech2: FloatVector = one - t * t
            let g: FloatVector = half * (one + t) + half * v * sech2 * slope
            storeVector(loadVector(dyp + i) * g, dxp + i)
            i += simdWidth
        }
        while i < n {
            let v = xp[i], t = tanhf(k * (v + a * v * v * v))
            dxp[i] = dyp[i] * (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * k * (1 + 3 * a * v * v)); i += 1
        }
    }
}

import Foundation
