// Implements: the constants of control-plane protocol v1. docs/protocol.md is normative; this
// file follows its order (version, heartbeating, limits).

public enum WireProtocol {
    /// Every message carries `"v": version`; any other value is answered with an error.
    public static let version = 1
    /// Peers send a heartbeat every interval (milliseconds)…
    public static let heartbeatIntervalMs = 1000
    /// …and a peer is dead after this many silent intervals (3-5 is reasonable, zguide).
    public static let heartbeatLiveness = 3
    /// A trainer that has had no reply from the coordinator for this long exits (milliseconds): a
    /// rank cut off from the cluster must not outlive the attempt the coordinator restarted without it.
    public static let trainerFenceMs = 60_000
    /// Body frames larger than this are refused with an error, not parsed (bytes).
    public static let maxFrameBytes = 1 << 20
    /// libzmq drops the connection of a peer sending a message over this hard cap (bytes).
    public static let hardMessageCapBytes: Int64 = 4 << 20
    /// Requests wait this long for a reply before a client gives up (milliseconds).
    public static let defaultTimeoutMs = 5000
    /// Default coordinator endpoint (loopback: other addresses need CURVE keys, docs/protocol.md).
    public static let defaultEndpoint = "tcp://127.0.0.1:5555"
}
