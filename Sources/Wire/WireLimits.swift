// Implements: WireLimits, the documented range of every field a peer may send (docs/protocol.md,
// Messages): sizes of names, ids, paths and specs, and the bounds of counts, ranks and steps. The
// decoder checks them, so no handler sees a value outside them.

public enum WireLimits {
    /// `id` (request id): at most this many bytes, printable.
    public static let requestIDBytes = 128
    /// `node`, `host`: 1…64 bytes of printable text.
    public static let nameBytes = 64
    /// `address`: 1…255 bytes (a host name or IP address mpirun can reach).
    public static let addressBytes = 255
    /// `path` of a committed checkpoint: 1…4096 bytes without NUL.
    public static let pathBytes = 4096
    /// `spec`: the YAML text, at most this many bytes (the YAML limits in Spec apply within it).
    public static let specBytes = 256 * 1024
    /// Ranks of a job and slots of a node: 0…4096 (slots), rank 0…4095.
    public static let maxRanks = 4096
    /// `processes` of one agent heartbeat: at most this many entries.
    public static let maxProcesses = 4096
    /// `priority`: −1,000,000…1,000,000.
    public static let priorityRange = -1_000_000 ... 1_000_000
    /// `step`: 0…2^53 (an exact integer in JSON's doubles).
    public static let maxStep = 1 << 53
    /// `offsets` entries: 0…2^53 bytes.
    public static let maxOffset = 1 << 53
    /// `pid`: 1…2^31−1.
    public static let maxPid = Int(Int32.max)
    /// `attempt`: 1…2^53.
    public static let maxAttempt = 1 << 53
    /// `list`'s `limit`: 1…1000, default 50.
    public static let listLimitRange = 1 ... 1000
    public static let defaultListLimit = 50
    /// `metrics`' `limit`: 1…10,000 points per reply, default 10,000.
    public static let metricsLimitRange = 1 ... 10_000
    /// `timeout_ms` of a request: 1…3,600,000.
    public static let timeoutRange = 1 ... 3_600_000
    /// Nesting of JSON arrays and objects in a body (the deepest message nests 3).
    public static let jsonDepth = 16
    /// A reply is at most this many bytes (the coordinator pages `list`, `logs` and `metrics` to
    /// stay under it); clients accept replies up to WireProtocol.hardMessageCapBytes.
    public static let replyBytes = 1 << 20
}
