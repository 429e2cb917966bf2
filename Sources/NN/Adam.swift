// Implements: Adam and AdamW (decoupled weight decay), PyTorch's update rules, one fused pass:
//   (g is the gradient times `scale`, clipping's factor)
//   Adam:  g' = g + wd·θ;                 AdamW: θ -= lr·wd·θ first, g' = g
//   m = β1·m + (1−β1)·g';  v = β2·v + (1−β2)·g'²
//   θ -= lr/(1−β1ᵗ) · m / (√v/√(1−β2ᵗ) + ε)
import Foundation
import Tensor

/// Adam, or AdamW with `decoupled`, over `range` of the flat parameter buffer.
public final class Adam: Optimizer {
    /// The range of the flat buffer this optimizer updates.
    public let range: Range<Int>
    /// Steps taken so far; the bias corrections use it.
    public var steps = 0
    /// Learning rate; the trainer may change it between steps.
    public var learningRate: Float
    /// β1, β2, ε, weight decay, and whether the decay is decoupled (AdamW).
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool
    /// m then v, each (range.count).
    public let state: [FloatBuffer]

    /// Zeroed m and v for `range`; the defaults are PyTorch's.
    public init(range: Range<Int>, learningRate: Float, beta1: Float = 0.9, beta2: Float = 0.999,
                eps: Float = 1e-8, weightDecay: Float = 0, decoupled: Bool = false) {
        self.range = range
        self.learningRate = learningRate
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weightDecay = weightDecay
        self.decoupled = decoupled
        state = [FloatBuffer(count: range.count), FloatBuffer(count: range.count)]
    }

    /// One Adam(W) step on params[range] from `scale` × grads[range]; increments `steps`.
    public func step(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, scale: Float) {
        KernelProfile.time("adamw") { update(params: params, grads: grads, scale: scale) }
    }

    func update(params: UnsafeMutablePointer<Float>, grads: UnsafePointer<Float>, scale: Float) {
        steps += 1
        let t = Double(steps)
        let stepSize = Float(Double(learningRate) / (1 - pow(Double(beta1), t)))
        let invRootBC2 = Float(1 / (1 - pow(Double(beta2), t)).squareRoot())
        let p = params + range.lowerBound, g = grads + range.lowerBound, n = range.count
        let m = state[0].pointer, v = state[1].pointer
        let b1 = beta1, b2 = beta2, c1 = 1 - beta1, c2 = 1 - beta2, e = eps
        let l2 = decoupled ? 0 : weightDecay, shrink = decoupled ? 1 - learningRate * weightDecay : 1
        // 8 lanes at a time (see SIMDAccess.swift), then the scalar tail; the same formula both ways.
        let vb1 = FloatVector(repeating: b1), vb2 = FloatVector(repeating: b2), vc1 = FloatVector(repeating: c1)
        let vc2 = FloatVector(repeating: c2), ve = FloatVector(repeating: e), vl2 = FloatVector(repeating: l2)
        let vshrink = FloatVector(repeating: shrink), vstep = FloatVector(repeating: stepSize)
        let vinv = FloatVector(repeating: invRootBC2), vscale = FloatVector(repeating: scale)
        let vec = n - n % simdWidth
        var i = 0
        while i < vec {
            let pi = loadVector(p + i)
            let gi = loadVector(g + i) * vscale + vl2 * pi
            let mi = vb1 * loadVector(m + i) + vc1 * gi
            let vi = vb2 * loadVector(v + i) + vc2 * gi * gi
            storeVector(mi, m + i)
            storeVector(vi, v + i)
            storeVector(pi * vshrink - vstep * mi / (squareRoot(vi) * vinv + ve), p + i)
            i += simdWidth
        }
        while i < n {
            let gi = g[i] * scale + l2 * p[i]
            let mi = b1 * m[i] + c1 * gi
            let vi = b2 * v[i] + c2 * gi * gi
            m[i] = mi
            v[i] = vi
            p[i] = p[i] * shrink - stepSize * mi / (vi.squareRoot() * invRootBC2 + e)
            i += 1
        }
    }
}
