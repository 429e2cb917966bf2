// Implements: MemoryAccount, the bytes of model state one rank holds (activations not counted).

/// Bytes of model state one rank holds; activations are not counted.
public struct MemoryAccount: Sendable, Equatable {
    /// Parameter bytes (4 per float).
    public var parameterBytes: Int
    /// Gradient bytes, including any extra buffers the reduction keeps.
    public var gradientBytes: Int
    /// Optimizer state bytes of the elements this rank steps.
    public var optimizerBytes: Int
    /// The sum of the three, in bytes.
    public var total: Int { parameterBytes + gradientBytes + optimizerBytes }
}
