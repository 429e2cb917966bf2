// Implements: MemoryAccount, the bytes of model state one rank holds (activations not counted).

public struct MemoryAccount: Sendable, Equatable {
    public var parameterBytes: Int
    public var gradientBytes: Int
    public var optimizerBytes: Int
    public var total: Int { parameterBytes + gradientBytes + optimizerBytes }
}
