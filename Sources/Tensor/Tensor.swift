// Implements: Tensor, a shaped view (row-major, contiguous) into a FloatBuffer.
// Layers keep Tensors that point into the ParameterStore's flat buffers, so reducing or
// sharding the flat buffer reaches every layer without a copy.

/// A contiguous row-major view of `shape.product` floats starting at `offset` in `base`.
public struct Tensor: @unchecked Sendable {
    /// The storage this view keeps alive.
    public let base: FloatBuffer
    /// Index of the first element in `base`.
    public let offset: Int
    /// Dimensions, outermost first.
    public let shape: [Int]
    /// Number of elements (product of `shape`).
    public let count: Int

    /// A view of `shape` at `offset` in `base`.
    public init(base: FloatBuffer, offset: Int = 0, shape: [Int]) {
        let n = shape.reduce(1, *)
        precondition(offset >= 0 && offset + n <= base.count, "view \(offset)+\(n) outside buffer of \(base.count)")
        self.base = base
        self.offset = offset
        self.shape = shape
        self.count = n
    }

    /// A new zeroed tensor of `shape`.
    public init(zeros shape: [Int]) {
        self.init(base: FloatBuffer(count: shape.reduce(1, *)), shape: shape)
    }

    /// A new tensor holding `values` with `shape`.
    public init(_ values: [Float], shape: [Int]) {
        precondition(values.count == shape.reduce(1, *), "\(values.count) values for shape \(shape)")
        self.init(base: FloatBuffer(values), shape: shape)
    }

    /// First element.
    @inline(__always) public var pointer: UnsafeMutablePointer<Float> { base.pointer + offset }
    /// Size of the first dimension (rows of a matrix).
    @inline(__always) public var rows: Int { shape[0] }
    /// Elements per row: the product of every dimension but the first.
    /// (A product, not count / rows: a tensor with zero rows still has columns.)
    @inline(__always) public var cols: Int { shape.count == 2 ? shape[1] : shape.dropFirst().reduce(1, *) }

    /// The same elements under another shape of the same size.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) to \(newShape)")
        return Tensor(base: base, offset: offset, shape: newShape)
    }

    /// Rows `range` of the first dimension, as a view.
    public func rows(_ range: Range<Int>) -> Tensor {
        var s = shape
        s[0] = range.count
        return Tensor(base: base, offset: offset + range.lowerBound * cols, shape: s)
    }

    /// Element `i` of the flattened view.
    @inline(__always) public subscript(i: Int) -> Float {
        get { pointer[i] }
        nonmutating set { pointer[i] = newValue }
    }

    /// The elements as an array (a copy).
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }

    /// Copies the elements of `other` (same count) into this view.
    public func copy(from other: Tensor) {
        precondition(other.count == count, "copy of \(other.count) into \(count)")
        pointer.update(from: other.pointer, count: count)
    }
}
