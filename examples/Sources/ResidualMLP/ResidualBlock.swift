// Implements: ResidualBlock, a layer Cohort does not ship, written against the public `Layer`
// protocol: y = x + fc2(relu(fc1(x))).
// Shapes: B = batch, W = width. Parameters: fc1.weight (W, W), fc1.bias (W), fc2.weight (W, W),
// fc2.bias (W), PyTorch's `nn.Linear` layout.
import Cohort

final class ResidualBlock: Layer {
    let width: Int
    private var index = (w1: 0, b1: 0, w2: 0, b2: 0)
    private var w1 = Tensor(zeros: [0]), b1 = Tensor(zeros: [0]), w2 = Tensor(zeros: [0]), b2 = Tensor(zeros: [0])
    private var dw1 = Tensor(zeros: [0]), db1 = Tensor(zeros: [0]), dw2 = Tensor(zeros: [0]), db2 = Tensor(zeros: [0])
    // Activations, reallocated when a larger batch comes: h (B, W), y (B, W), dh (B, W), dx (B, W).
    private var rowsAllocated = 0
    private var hBuf = Tensor(zeros: [0]), yBuf = Tensor(zeros: [0]), dhBuf = Tensor(zeros: [0]), dxBuf = Tensor(zeros: [0])
    // What backward needs of the last forward: x and h; and of the last inputGradient: dy and dh.
    private var x = Tensor(zeros: [0]), h = Tensor(zeros: [0]), dy = Tensor(zeros: [0]), dh = Tensor(zeros: [0])

    init(width: Int) { self.width = width }

    func declare(into layout: inout ParameterLayout, prefix: String) {
        index = (layout.add(prefix + "fc1.weight", [width, width]), layout.add(prefix + "fc1.bias", [width]),
                 layout.add(prefix + "fc2.weight", [width, width]), layout.add(prefix + "fc2.bias", [width]))
    }

    func bind(to store: ParameterStore) {
        (w1, b1, w2, b2) = (store.param(index.w1), store.param(index.b1), store.param(index.w2), store.param(index.b2))
        (dw1, db1, dw2, db2) = (store.grad(index.w1), store.grad(index.b1), store.grad(index.w2), store.grad(index.b2))
    }

    /// fc1 as PyTorch initialises it; fc2 starts at a tenth of that, so the block starts near identity.
    func initialize(rng: inout RNG) {
        let bound = 1 / Float(width).squareRoot()
        for t in [w1, b1] { for i in 0..<t.count { t[i] = rng.uniform(-bound, bound) } }
        for t in [w2, b2] { for i in 0..<t.count { t[i] = 0.1 * rng.uniform(-bound, bound) } }
    }

    func outputShape(for input: [Int]) -> [Int] { [width] }

    private func buffers(rows: Int) {
        guard rows > rowsAllocated else { return }
        (hBuf, yBuf, dhBuf, dxBuf) = (Tensor(zeros: [rows, width]), Tensor(zeros: [rows, width]),
                                      Tensor(zeros: [rows, width]), Tensor(zeros: [rows, width]))
        rowsAllocated = rows
    }

    /// h = relu(x · w1ᵀ + b1); y = x + h · w2ᵀ + b2.
    func forward(_ input: Tensor) -> Tensor {
        let rows = input.rows
        buffers(rows: rows)
        x = input.reshaped([rows, width])
        h = hBuf.rows(0 ..< rows)
        let y = yBuf.rows(0 ..< rows)
        Dense.forward(h, x, weight: w1, bias: b1)
        addBias(h, Tensor(zeros: [width]), relu: true)   // relu(h): the bias pass with a zero bias
        Dense.forward(y, h, weight: w2, bias: b2, residual: x)
        return y
    }

    /// dh = (dy · w2) ⊙ (h > 0); dx = dy + dh · w1.
    func inputGradient(_ dOut: Tensor, needed: Bool) -> Tensor? {
        let rows = dOut.rows
        dy = dOut
        dh = dhBuf.rows(0 ..< rows)
        Dense.backwardInput(dh, dy, weight: w2)
        reluMask(dh, output: h)
        guard needed else { return nil }
        let dx = dxBuf.rows(0 ..< rows)
        dx.copy(from: dy)
        Dense.backwardInput(dx, dh, weight: w1, accumulate: true)
        return dx
    }

    /// dw2 = dyᵀ · h, db2 = Σ dy; dw1 = dhᵀ · x, db1 = Σ dh (added with `accumulate`).
    func parameterGradients(accumulate: Bool) {
        Dense.backwardParams(dw: dw2, db: db2, dy, h, accumulate: accumulate)
        Dense.backwardParams(dw: dw1, db: db1, dh, x, accumulate: accumulate)
    }
}
