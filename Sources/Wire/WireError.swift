// Implements: WireError, every failure of the wire layer, each naming the call or value at fault,
// and ProtocolErrorCode, the machine-readable codes carried by `error` replies.
import CZMQ
import Foundation

public enum WireError: Error, CustomStringConvertible, Equatable {
    /// A libzmq call failed; `call` is the C function, `errno` its zmq_errno().
    case zmq(call: String, errno: Int32)
    /// No reply from `endpoint` within `ms` milliseconds.
    case timeout(endpoint: String, ms: Int)
    /// A frame that is not a valid v1 message; `reason` says why.
    case malformed(reason: String)
    /// The peer answered with an `error` message.
    case remote(code: String, message: String)
    /// The security handshake with `endpoint` failed (a refused or missing CURVE key).
    case handshake(endpoint: String, failure: HandshakeFailure)

    public var description: String {
        switch self {
        case let .zmq(call, e): return "\(call) failed: \(String(cString: zmq_strerror(e)))"
        case let .timeout(endpoint, ms): return "no reply from the coordinator at \(endpoint) within \(ms) ms"
        case let .malformed(reason): return "malformed message: \(reason)"
        case let .remote(_, message): return message
        case let .handshake(endpoint, failure): return failure.describe(endpoint: endpoint)
        }
    }
}

/// Codes of `error` replies (docs/protocol.md, Errors).
public enum ProtocolErrorCode: String, Codable, Sendable {
    case malformed, badVersion = "bad-version", unknownType = "unknown-type", tooLarge = "too-large"
    case badRequest = "bad-request", unknownJob = "unknown-job", badSpec = "bad-spec"
    case unschedulable, invalidState = "invalid-state", unknownNode = "unknown-node", `internal`
    /// A trainer of an attempt the coordinator has ended: it must exit (fencing).
    case staleAttempt = "stale-attempt"
    /// A request that waited at the coordinator longer than its `timeout_ms`: not executed.
    case expired
}
