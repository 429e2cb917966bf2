import Foundation

// Implements: FloatBuffer, an owned, 64-byte aligned, zero-initialised array of Float.
// Tensors, parameter stores and activation caches are views into these; the hot loops work on
// its raw pointer so that no copy-on-write or bounds check sits inside a kernel.

/// Owned storage for `count` floats, aligned for AVX-512 loads, zeroed at creation.
public final class FloatBuffer: @unchecked Sendable {
    /// First element. Valid for `count` elements while the buffer lives.
    public let pointer: UnsafeMutablePointer<Float>
    /// Number of floats.
    public let count: Int
    /// The owner of memory this buffer only views (`init(viewing:count:owner:)`); nil: owned here.
    private let owner: AnyObject?

    /// Allocates `count` zeroed floats.
    /// - Parameter count: Zero or more.
    public init(count: Int) {
        precondition(count >= 0, "FloatBuffer count \(count) < 0")
        self.count = count
        owner = nil
        let bytes = max(count, 1) * 4
        // Buffers of 2 MB and more (parameters, gradients, optimizer state, activations, data) are
        // put on transparent huge pages where the kernel allows it (THP "madvise" mode): sgemm and
        // the streaming kernels then miss the TLB far less.
        let page = FloatBuffer.hugePage, huge = bytes >= page
        let size = huge ? (bytes + page - 1) / page * page : bytes
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: huge ? page : 64)
        if huge { _ = madvise(raw, size, 14 /* MADV_HUGEPAGE */) }
        pointer = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    static let hugePage = 2 << 20

    /// Copies `values` into a new buffer.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { pointer.update(from: $0.baseAddress!, count: values.count) }
    }

    /// Views `count` floats that `owner` keeps alive (e.g. memory shared with other processes);
    /// the contents are left as they are.
    public init(viewing pointer: UnsafeMutablePointer<Float>, count: Int, owner: AnyObject) {
        self.pointer = pointer
        self.count = count
        self.owner = owner
    }

    deinit { if owner == nil { UnsafeMutableRawPointer(pointer).deallocate() } }

    /// The contents as an array (a copy).
    public var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Sets every element to zero.
    public func zero() { pointer.update(repeating: 0, count: count) }
}
