// Implements: the element-wise kernels the layers and optimizers need, on raw pointers so the
// compiler vectorises them (checked with -Ounchecked; no bounds checks or CoW in the loops).
// Shapes: B = rows (batch), F = features per row.

/// x *= s, element-wise.
@inline(__always)
public func scale(_ x: Tensor, by s: Float) {
    let p = x.pointer
    for i in 0..<x.count { p[i] *= s }
}

/// y += a · x (same count).
@inline(__always)
public func axpy(_ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count { y[i] += a * x[i] }
}

/// y (B, F) = max(y + b, 0) row by row when `relu`, else y + b.  b: (F).
@inline(__always)
public func addBias(_ y: Tensor, _ b: Tensor, relu: Bool) {
    let f = b.count, rows = y.count / max(f, 1), yp = y.pointer, bp = b.pointer
    let vec = f - f % simdWidth, zero = FloatVector(repeating: 0)
    for r in 0..<rows {
        let row = yp + r * f
        var j = 0
        if relu {
            while j < vec { let v = loadVector(row + j) + loadVector(bp + j); storeVector(zero.replacing(with: v, where: v .> zero), row + j); j += simdWidth }
            while j < f { row[j] = max(row[j] + bp[j], 0); j += 1 }
        } else {
            while j < vec { storeVector(loadVector(row + j) + loadVector(bp + j), row + j); j += simdWidth }
            while j < f { row[j] += bp[j]; j += 1 }
        }
    }
}

/// db (F) += Σ_rows dy (B, F).
@inline(__always)
public func addColumnSums(of dy: Tensor, into db: Tensor) {
    let f = db.count, rows = dy.count / max(f, 1), dp = dy.pointer, bp = db.pointer
    let vec = f - f % simdWidth
    for r in 0..<rows {
        let row = dp + r * f
        var j = 0
        while j < vec { storeVector(loadVector(bp + j) + loadVector(row + j), bp + j); j += simdWidth }
        while j < f { bp[j] += row[j]; j += 1 }
    }
}

/// dy *= (y > 0): the ReLU backward mask, in place, given the ReLU's output y.
@inline(__always)
public func reluMask(_ dy: Tensor, output y: Tensor) {
    let d = dy.pointer, o = y.pointer, n = dy.count, vec = n - n % simdWidth
    let zero = FloatVector(repeating: 0)
    var i = 0
    while i < vec { storeVector(zero.replacing(with: loadVector(d + i), where: loadVector(o + i) .> zero), d + i); i += simdWidth }
    while i < n { d[i] = o[i] > 0 ? d[i] : 0; i += 1 }
}

/// Σ x in Double, for losses and norms.
public func sum(_ x: Tensor) -> Double {
    var s = 0.0
    let p = x.pointer
    for i in 0..<x.count { s += Double(p[i]) }
    return s
}

/// Largest |a − b| and its index; for tests and benchmarks' result checks.
public func maxAbsDiff(_ a: [Float], _ b: [Float]) -> (value: Float, index: Int) {
    precondition(a.count == b.count, "maxAbsDiff: \(a.count) vs \(b.count)")
    var best: Float = 0, at = -1
    for i in 0..<a.count where abs(a[i] - b[i]) > best || (a[i] - b[i]).isNaN {
        best = abs(a[i] - b[i]); at = i
        if best.isNaN { break }
    }
    return (best, at)
}
