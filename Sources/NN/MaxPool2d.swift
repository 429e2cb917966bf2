// Implements: MaxPool2d with a square window and stride equal to the window (no padding).
// Shapes: x (B, C, H, W) → y (B, C, H/k, W/k), floor division; the argmax of each window is
// kept for backward.
import Tensor

/// Max pooling over `kernel`×`kernel` windows with stride `kernel`.
public final class MaxPool2d: Layer {
    /// Window size and stride k.
    public let kernel: Int
    private var out = Workspace(), dIn = Workspace()
    private var argmax: [Int32] = []
    private var inputShape: [Int] = []

    /// A pooling layer with window and stride `kernel` (default 2).
    public init(_ kernel: Int = 2) { self.kernel = kernel }

    /// (C, H, W) → (C, H/k, W/k), floor division.
    public func outputShape(for input: [Int]) -> [Int] { [input[0], input[1] / kernel, input[2] / kernel] }

    /// y (B, C, H/k, W/k) = each window's maximum; keeps the argmax for backward.
    public func forward(_ x: Tensor) -> Tensor {
        inputShape = x.shape
        let (bc, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3]), k = kernel
        let oh = h / k, ow = w / k
        let y = out.view(rows: x.shape[0], [x.shape[1], oh, ow])
        if argmax.count < y.count { argmax = [Int32](repeating: 0, count: y.count) }
        let xp = x.pointer, yp = y.pointer
        argmax.withUnsafeMutableBufferPointer { am in
            for plane in 0..<bc {
                let xbase = plane * h * w, ybase = plane * oh * ow
                for i in 0..<oh {
                    for j in 0..<ow {
                        var best = -Float.infinity, at = xbase + i * k * w + j * k
                        for di in 0..<k {
                            let row = xbase + (i * k + di) * w + j * k
                            for dj in 0..<k where xp[row + dj] > best { best = xp[row + dj]; at = row + dj }
                        }
                        yp[ybase + i * ow + j] = best
                        am[ybase + i * ow + j] = Int32(at)
                    }
                }
            }
        }
        return y
    }

    /// dx is zero except at each window's argmax, which receives that window's dy.
    public func inputGradient(_ dy: Tensor, needed: Bool) -> Tensor? {
        guard needed else { return nil }
        let dx = dIn.view(rows: inputShape[0], Array(inputShape.dropFirst()))
        dx.zero()
        let dp = dy.pointer, xp = dx.pointer
        argmax.withUnsafeBufferPointer { am in
            for i in 0..<dy.count { xp[Int(am[i])] += dp[i] }
        }
        return dx
    }
}
