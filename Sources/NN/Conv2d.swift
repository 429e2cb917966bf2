// Implements: Conv2d, square kernel, stride 1, zero padding, as im2col + one sgemm per batch.
// Shapes: B batch, C in channels, OC out channels, K kernel, H×W in, OH×OW out, P = OH·OW.
// Parameters: weight (OC, C, K, K), bias (OC).
// Buffers: col (C·K·K, B·P) — one column per output pixel of every sample; outT (OC, B·P).
import Tensor

/// A 2-D convolution layer: square kernel, stride 1, zero padding.
public final class Conv2d: Layer {
    /// Input channels C, output channels OC, kernel size K, zero padding on each side.
    public let inChannels: Int, outChannels: Int, kernel: Int, padding: Int
    private var weightIndex = 0, biasIndex = 0
    private var w = Tensor(zeros: [0]), b = Tensor(zeros: [0]), dw = Tensor(zeros: [0]), db = Tensor(zeros: [0])
    private var colSpace = Workspace(), tSpace = Workspace(), dcolSpace = Workspace(), out = Workspace(), dIn = Workspace()
    private var col = Tensor(zeros: [0]), dyT = Tensor(zeros: [0])
    private var inputShape: [Int] = []

    /// A convolution from `inChannels` to `outChannels` with a `kernel`×`kernel` window.
    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, padding: Int = 0) {
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.padding = padding
    }

    /// Declares `weight` (OC, C, K, K) and `bias` (OC) under `prefix`.
    public func declare(into layout: inout ParameterLayout, prefix: String) {
        weightIndex = layout.add(prefix + "weight", [outChannels, inChannels, kernel, kernel])
        biasIndex = layout.add(prefix + "bias", [outChannels])
    }

    /// Takes views of weight, bias and their gradients from `store`.
    public func bind(to store: ParameterStore) {
        w = store.param(weightIndex); b = store.param(biasIndex)
        dw = store.grad(weightIndex); db = store.grad(biasIndex)
    }

    /// PyTorch's default: U(−1/√fan_in, 1/√fan_in), fan_in = C·K·K.
    public func initialize(rng: inout RNG) {
        let bound = 1 / Float(inChannels * kernel * kernel).squareRoot()
        for i in 0..<w.count { w[i] = rng.uniform(-bound, bound) }
        for i in 0..<b.count { b[i] = rng.uniform(-bound, bound) }
    }

    /// (C, H, W) → (OC, H + 2·pad − K + 1, W + 2·pad − K + 1).
    public func outputShape(for input: [Int]) -> [Int] {
        [outChannels, input[1] + 2 * padding - kernel + 1, input[2] + 2 * padding - kernel + 1]
    }

    /// y (B, OC, OH, OW) = conv(x (B, C, H, W), w) + b.
    public func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        let bsz = x.shape[0], h = x.shape[2], wd = x.shape[3]
        let oh = h + 2 * padding - kernel + 1, ow = wd + 2 * padding - kernel + 1, p = oh * ow
        let ckk = inChannels * kernel * kernel
        col = colSpace.view(rows: ckk, [bsz * p])
        im2col(x, h: h, w: wd, oh: oh, ow: ow)
        let outT = tSpace.view(rows: outChannels, [bsz * p])
        matmul(w.reshaped([outChannels, ckk]), .none, col, .none, into: outT)
        let y = out.view(rows: bsz, [outChannels, oh, ow])
        let tp = outT.pointer, yp = y.pointer, bp = b.pointer
        for s in 0..<bsz {
            for c in 0..<outChannels {
                let src = tp + c * bsz * p + s * p, dst = yp + (s * outChannels + c) * p, bias = bp[c]
                for i in 0..<p { dst[i] = src[i] + bias }
            }
        }
        return y
    }

    /// dyT (OC, B·P) = dy transposed, kept for `parameterGradients`; dx = col2im(wᵀ · dyT).
    public func inputGradient(_ dy: Tensor, needed needInputGrad: Bool) -> Tensor? {
        let bsz = inputShape[0], p = dy.count / (bsz * outChannels), ckk = inChannels * kernel * kernel
        dyT = tSpace.view(rows: outChannels, [bsz * p])
        let dp = dy.pointer, tp = dyT.pointer
        for s in 0..<bsz {
            for c in 0..<outChannels {
                (tp + c * bsz * p + s * p).update(from: dp + (s * outChannels + c) * p, count: p)
            }
        }
        var dx: Tensor?
        if needInputGrad {
            let dcol = dcolSpace.view(rows: ckk, [bsz * p])
            matmul(w.reshaped([outChannels, ckk]), .transposed, dyT, .none, into: dcol)
            let out = dIn.view(rows: bsz, Array(inputShape.dropFirst()))
            col2im(dcol, into: out, h: inputShape[2], w: inputShape[3], oh: inputShape[2] + 2 * padding - kernel + 1,
                   ow: inputShape[3] + 2 * padding - kernel + 1)
            dx = out
        }
        return dx
    }

    /// db += Σ dy; dw (OC, C·K·K) += dyT · colᵀ (written instead of added unless `accumulate`).
    public func parameterGradients(accumulate: Bool) {
        let bsz = inputShape[0], p = dyT.count / (bsz * outChannels), ckk = inChannels * kernel * kernel, tp = dyT.pointer
        if !accumulate { db.zero() }
        let bp = db.pointer
        for c in 0..<outChannels {
            let row = tp + c * bsz * p
            var acc: Float = 0
            for i in 0..<(bsz * p) { acc += row[i] }
            bp[c] += acc
        }
        matmul(dyT, .none, col, .transposed, into: dw.reshaped([outChannels, ckk]), beta: accumulate ? 1 : 0)
    }

    /// col[(c, ki, kj), (s, i, j)] = x[s, c, i + ki − pad, j + kj − pad], zero outside.
    private func im2col(_ x: Tensor, h: Int, w wd: Int, oh: Int, ow: Int) {
        let bsz = x.shape[0], p = oh * ow, rowLen = bsz * p, xp = x.pointer, cp = col.pointer
        for c in 0..<inChannels {
            for ki in 0..<kernel {
                for kj in 0..<kernel {
                    let row = cp + ((c * kernel + ki) * kernel + kj) * rowLen
                    for s in 0..<bsz {
                        let plane = xp + (s * inChannels + c) * h * wd, dst = row + s * p
                        for i in 0..<oh {
                            let si = i + ki - padding
                            let d = dst + i * ow
                            guard si >= 0 && si < h else { d.update(repeating: 0, count: ow); continue }
                            let src = plane + si * wd
                            for j in 0..<ow {
                                let sj = j + kj - padding
                                d[j] = (sj >= 0 && sj < wd) ? src[sj] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of im2col: dx[s, c, i+ki−pad, j+kj−pad] += dcol[(c, ki, kj), (s, i, j)].
    private func col2im(_ dcol: Tensor, into dx: Tensor, h: Int, w wd: Int, oh: Int, ow: Int) {
        dx.zero()
        let bsz = dx.shape[0], p = oh * ow, rowLen = bsz * p, xp = dx.pointer, cp = dcol.pointer
        for c in 0..<inChannels {
            for ki in 0..<kernel {
                for kj in 0..<kernel {
                    let row = cp + ((c * kernel + ki) * kernel + kj) * rowLen
                    for s in 0..<bsz {
                        let plane = xp + (s * inChannels + c) * h * wd, src = row + s * p
                        for i in 0..<oh {
                            let si = i + ki - padding
                            guard si >= 0 && si < h else { continue }
                            let d = plane + si * wd, sr = src + i * ow
                            for j in 0..<ow {
                                let sj = j + kj - padding
                                if sj >= 0 && sj < wd { d[sj] += sr[j] }
                            }
                        }
                    }
                }
            }
        }
    }
}
