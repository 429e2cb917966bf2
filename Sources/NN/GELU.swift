// Implements: GELU in its tanh form (GPT-2's), forward and backward, 8 lanes at a time.
//   y = ½x(1 + tanh u),  u = √(2/π)(x + 0.044715x³)
//   dy/dx = ½(1 + tanh u) + ½x(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²)
// Shapes: x, y, dy, dx (count). Backward needs the input x (kept by the caller), not y.
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
