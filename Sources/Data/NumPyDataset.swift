// Implements: a Dataset from NumPy arrays (`data: {kind: npy, inputs: …, labels: …}`): inputs
// (N, sample…) float32 taken as they are, or uint8 scaled by 1/255 exactly as the IDX loader scales
// (so the same images train to the same bits either way); labels (N) uint8 or int64 in 0..<classes.
// A path names a `.npy` file, or an `.npz` member as FILE.npz:NAME (FILE.npz alone if it holds one).
// float32 inputs are viewed in the mapped file when their body is 4-byte aligned (always in a .npy).
import Foundation
import Tensor

/// Data sets and arrays named by NumPy data paths (FILE.npy, FILE.npz, FILE.npz:NAME).
public enum NumPyData {
    /// The array a data path names: FILE.npy, FILE.npz or FILE.npz:NAME.
    public static func array(_ path: String) throws(DataError) -> NumPyArray {
        if let r = path.range(of: ".npz:", options: .backwards) {
            return try NPZ.load(String(path[..<r.lowerBound]) + ".npz", member: String(path[r.upperBound...]))
        }
        return path.hasSuffix(".npz") ? try NPZ.load(path, member: nil) : try NumPy.load(path)
    }

    /// The data set of `inputs` and `labels`; 3-D inputs (N, H, W) become (N, 1, H, W) images.
    /// - Throws: `DataError` naming the file: a wrong dtype or order, a truncated body, a label
    ///   outside 0..<classes, or inputs and labels of different lengths.
    public static func dataset(inputs: String, labels: String, classes: Int = 10) throws(DataError) -> Dataset {
        let x = try array(inputs), y = try array(labels)
        guard x.shape.count >= 2 else { throw .format(path: inputs, reason: "inputs must be (N, features…), got shape \(x.shape)") }
        guard y.shape.count == 1 else { throw .format(path: labels, reason: "labels must be one-dimensional (N), got shape \(y.shape)") }
        guard x.shape[0] == y.shape[0] else {
            throw .mismatch("data files disagree: \(inputs) has \(x.shape[0]) samples, \(labels) has \(y.shape[0]) labels")
        }
        guard y.dtype != .float32 else { throw .format(path: labels, reason: "labels must be integers (uint8 '|u1' or int64 '<i8'), got float32") }
        var out = [Int32](repeating: 0, count: y.count)
        for i in 0..<y.count {
            let v = y.integer(i) ?? -1
            guard v >= 0 && v < classes else {
                throw .format(path: labels, reason: "label \(v) at index \(i) is outside 0..<\(classes)")
            }
            out[i] = Int32(v)
        }
        let shape = x.shape.count == 3 ? [x.shape[0], 1, x.shape[1], x.shape[2]] : x.shape
        return Dataset(images: tensor(x, shape: shape), labels: out, classes: classes)
    }

    /// x's elements as a tensor: a view of aligned float32, otherwise converted.
    static func tensor(_ x: NumPyArray, shape: [Int]) -> Tensor {
        if x.dtype == .float32, let base = x.body.baseAddress, Int(bitPattern: base) % 4 == 0 {
            let p = UnsafeMutableRawPointer(mutating: base).assumingMemoryBound(to: Float.self)
            return Tensor(base: FloatBuffer(viewing: p, count: x.count, owner: x.owner), shape: shape)
        }
        let t = Tensor(zeros: shape), p = t.pointer
        if x.dtype == .uint8 {
            for i in 0..<x.count { p[i] = Float(x.body[i]) * (1.0 / 255.0) }
        } else {
            for i in 0..<x.count { p[i] = x.float(i) }
        }
        return t
    }
}
