// Implements: ParameterStore, ONE flat buffer for all parameters and ONE for all gradients.
// Layers declare their tensors into a ParameterLayout, the store allocates the two buffers, and
// each layer keeps views into them (llm.c's malloc_and_point_parameters). Reducing, sharding and
// checkpointing then work on one contiguous range, never per tensor.
import Tensor

/// Name, shape and place of every parameter tensor in the flat buffer, in declaration order.
public struct ParameterLayout: Sendable, Codable, Equatable {
    /// One parameter tensor.
    public struct Entry: Sendable, Codable, Equatable {
        /// Tensor name, e.g. a layer prefix plus "weight".
        public let name: String
        /// Tensor shape, e.g. (OUT, IN).
        public let shape: [Int]
        /// First element in the flat buffer.
        public let offset: Int
        /// Number of elements.
        public var count: Int { shape.reduce(1, *) }
        /// Elements offset ..< offset + count of the flat buffer.
        public var range: Range<Int> { offset ..< offset + count }
    }

    /// Every tensor, in declaration order.
    public private(set) var entries: [Entry] = []
    /// Total number of parameters (Ψ).
    public private(set) var count = 0

    /// An empty layout.
    public init() {}

    /// Appends a tensor and returns its index.
    public mutating func add(_ name: String, _ shape: [Int]) -> Int {
        entries.append(Entry(name: name, shape: shape, offset: count))
        count += shape.reduce(1, *)
        return entries.count - 1
    }
}

/// The flat parameter and gradient buffers of one model replica.
public final class ParameterStore: @unchecked Sendable {
    /// Name, shape and offset of every parameter tensor.
    public let layout: ParameterLayout
    /// All parameters, (Ψ). Data-parallel ranks on one node may move it to memory they share
    /// (see `placeParameters`).
    public private(set) var params: FloatBuffer
    /// Gradients. Normally (Ψ) with the parameters' offsets; a caller may lay them out anew,
    /// tensors even sharing space (see `placeGradients`).
    public private(set) var grads: FloatBuffer
    /// Where each parameter tensor's gradient starts in `grads`.
    public private(set) var gradOffsets: [Int]

    /// Allocates zeroed parameter and gradient buffers of `layout.count` floats each.
    public init(layout: ParameterLayout) {
        self.layout = layout
        params = FloatBuffer(count: layout.count)
        grads = FloatBuffer(count: layout.count)
        gradOffsets = layout.entries.map(\.offset)
    }

    /// View of parameter tensor `i`.
    public func param(_ i: Int) -> Tensor {
        let e = layout.entries[i]
        return Tensor(base: params, offset: e.offset, shape: e.shape)
    }

    /// View of the gradient of parameter tensor `i`.
    public func grad(_ i: Int) -> Tensor {
        Tensor(base: grads, offset: gradOffsets[i], shape: layout.entries[i].shape)
    }

    /// Replaces the parameter buffer by `buffer` (at least Ψ floats; its contents are kept, the
    /// old values are not copied). Layers must bind again (`Sequential.placeParameters`).
    public func placeParameters(_ buffer: FloatBuffer) {
        precondition(buffer.count >= layout.count, "parameter buffer of \(buffer.count) floats for \(layout.count) parameters")
        params = buffer
    }

    /// Replaces the gradient buffer by one of `count` floats with tensor i's gradient at
    /// `offsets[i]` (tensors may share space). Layers must bind again (`Sequential.placeGradients`).
    public func placeGradients(offsets: [Int], count: Int) {
        placeGradients(offsets: offsets, in: FloatBuffer(count: count))
    }

    /// The same, in `buffer` (e.g. memory shared with the other ranks of the node).
    public func placeGradients(offsets: [Int], in buffer: FloatBuffer) {
        precondition(offsets.count == layout.entries.count, "one gradient offset per tensor")
        for (i, e) in layout.entries.enumerated() {
            precondition(offsets[i] >= 0 && offsets[i] + e.count <= buffer.count, "gradient \(e.name) outside buffer")
        }
        grads = buffer
        gradOffsets = offsets
    }
}
