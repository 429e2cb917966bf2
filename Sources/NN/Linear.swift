// Implements: Linear (fully connected), optionally with a fused ReLU on its output.
// Shapes: B = batch, IN = input features, OUT = output features.
// Parameters: weight (OUT, IN) as PyTorch stores it, bias (OUT).
import Tensor

/// A fully connected layer, y = x · wᵀ + b, with an optional fused ReLU.
public final class Linear: Layer {
    /// IN and OUT.
    public let inFeatures: Int, outFeatures: Int
    /// Apply max(·, 0) to the output (fused into the bias pass, and its mask into backward).
    public let relu: Bool
    private var weightIndex = 0, biasIndex = 0
    private var w = Tensor(zeros: [0]), b = Tensor(zeros: [0]), dw = Tensor(zeros: [0]), db = Tensor(zeros: [0])
    private var input = Tensor(zeros: [0]), dOut = Tensor(zeros: [0])
    private var out = Workspace(), dIn = Workspace()
    private var output = Tensor(zeros: [0])

    /// A layer from `inFeatures` to `outFeatures`; `relu` fuses max(·, 0) on the output.
    public init(_ inFeatures: Int, _ outFeatures: Int, relu: Bool = false) {
        self.inFeatures = inFeatures
        self.outFeatures = outFeatures
        self.relu = relu
    }

    /// Declares `weight` (OUT, IN) and `bias` (OUT) under `prefix`.
    public func declare(into layout: inout ParameterLayout, prefix: String) {
        weightIndex = layout.add(prefix + "weight", [outFeatures, inFeatures])
        biasIndex = layout.add(prefix + "bias", [outFeatures])
    }

    /// Takes views of weight, bias and their gradients from `store`.
    public func bind(to store: ParameterStore) {
        w = store.param(weightIndex); b = store.param(biasIndex)
        dw = store.grad(weightIndex); db = store.grad(biasIndex)
    }

    /// PyTorch's default: weight and bias ~ U(−1/√IN, 1/√IN).
    public func initialize(rng: inout RNG) {
        let bound = 1 / Float(inFeatures).squareRoot()
        for i in 0..<w.count { w[i] = rng.uniform(-bound, bound) }
        for i in 0..<b.count { b[i] = rng.uniform(-bound, bound) }
    }

    /// [OUT], whatever the per-sample input shape.
    public func outputShape(for input: [Int]) -> [Int] { [outFeatures] }

    /// y (B, OUT) = x (B, IN) · wᵀ + b, then ReLU if fused.
    public func forward(_ x: Tensor) -> Tensor {
        let rows = x.rows
        input = x.reshaped([rows, inFeatures])
        output = out.view(rows: rows, [outFeatures])
        matmul(input, .none, w, .transposed, into: output)
        addBias(output, b, relu: relu)
        return output
    }

    /// dy (B, OUT) masked in place if ReLU; dx (B, IN) = dy · w, into this layer's buffer.
    public func inputGradient(_ dy: Tensor, needed: Bool) -> Tensor? {
        if relu { reluMask(dy, output: output) }
        dOut = dy
        guard needed else { return nil }
        let dx = dIn.view(rows: dy.rows, [inFeatures])
        matmul(dy, .none, w, .none, into: dx)
        return dx
    }

    /// The ReLU mask is idempotent and dx, dw depend only on the masked dy: either order works.
    public var parameterGradientsFirst: Bool { true }

    /// db (OUT) += Σ_B dy; dw (OUT, IN) += dyᵀ · x (written instead of added unless `accumulate`).
    public func parameterGradients(accumulate: Bool) {
        if !accumulate { db.zero() }
        addColumnSums(of: dOut, into: db)
        matmul(dOut, .transposed, input, .none, into: dw, beta: accumulate ? 1 : 0)
    }

    /// Cuts at weight rows, about `maxElements` per piece; the bias rides in the last piece.
    public func gradientCuts(maxElements: Int) -> [Int] {
        let rows = max(1, maxElements / inFeatures)
        return Array(stride(from: rows, to: outFeatures, by: rows)).map { $0 * inFeatures }
    }

    /// db first (it belongs to the last piece), then dw (rows, IN) += dy[:, rows]ᵀ · x one row
    /// block at a time, last rows first: one sgemm per piece over a column slice of dy (B, OUT).
    public func parameterGradients(accumulate: Bool, cuts: [Int], pieceDone: (Int) -> Void) {
        guard !cuts.isEmpty else { parameterGradients(accumulate: accumulate); return pieceDone(0) }
        if !accumulate { db.zero() }
        addColumnSums(of: dOut, into: db)
        let rowCuts = [0] + cuts.map { $0 / inFeatures } + [outFeatures], batch = dOut.rows
        for k in 0 ..< rowCuts.count - 1 {
            let lo = rowCuts[rowCuts.count - 2 - k], hi = rowCuts[rowCuts.count - 1 - k]
            matmulStrided(.transposed, .none, m: hi - lo, n: inFeatures, k: batch, a: dOut.pointer + lo, lda: outFeatures,
                          b: input.pointer, ldb: inFeatures, beta: accumulate ? 1 : 0, c: dw.pointer + lo * inFeatures, ldc: inFeatures)
            pieceDone(k)
        }
    }
}
