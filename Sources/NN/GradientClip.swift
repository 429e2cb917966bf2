// Implements: clipping by the global norm of a gradient held in one process (benchmarks, one
// rank): g *= min(1, maxNorm / ‖g‖). Data-parallel training clips in DataParallel, over the
// FULL gradient of every rank and shard.
import Tensor

public enum GradientClip {
    /// ‖g‖₂ over `count` floats, accumulated in Double per 8-lane block.
    public static func norm(_ g: UnsafePointer<Float>, count n: Int) -> Double {
        let vec = n - n % simdWidth
        var total = 0.0, i = 0
        while i < vec {
            var acc = FloatVector(repeating: 0)
            let end = min(vec, i + 4096)
            while i < end { let v = loadVector(g + i); acc += v * v; i += simdWidth }
            total += Double(acc.sum())
        }
        while i < n { total += Double(g[i]) * Double(g[i]); i += 1 }
        return total.squareRoot()
    }

    /// Scales g so that its norm is at most `maxNorm`; returns the norm before clipping.
    @discardableResult
    public static func clip(_ g: UnsafeMutablePointer<Float>, count n: Int, maxNorm: Double) -> Double {
        let total = norm(g, count: n)
        if total > maxNorm {
            let s = Float(maxNorm / (total + 1e-6))
            for i in 0..<n { g[i] *= s }
        }
        return total
    }
}
