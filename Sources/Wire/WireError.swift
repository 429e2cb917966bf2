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
    case remote(code: ProtocolErrorCode, message: String)
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

/// Codes of `error` replies (docs/protocol.md, Errors). A code this build does not know (from a
/// newer peer) decodes as `.other` with its text, so a reply is never refused for its code.
public enum ProtocolErrorCode: Codable, Sendable, Hashable, CustomStringConvertible {
    case malformed, badVersion, unknownType, tooLarge, badRequest, unknownJob, badSpec
    case unschedulable, invalidState, unknownNode, `internal`
    /// A trainer of an attempt the coordinator has ended: it must exit (fencing).
    case staleAttempt
    /// A request that waited at the coordinator longer than its `timeout_ms`: not executed.
    case expired
    /// A code of a newer protocol revision, as it was on the wire.
    case other(String)

    /// Every code of this revision, as spelled on the wire.
    public static let known: [ProtocolErrorCode] = [
        .malformed, .badVersion, .unknownType, .tooLarge, .badRequest, .unknownJob, .badSpec,
        .unschedulable, .invalidState, .unknownNode, .internal, .staleAttempt, .expired,
    ]

    public var rawValue: String {
        switch self {
        case .malformed: return "malformed"
        case .badVersion: return "bad-version"
        case .unknownType: return "unknown-type"
        case .tooLarge: return "too-large"
        case .badRequest: return "bad-request"
        case .unknownJob: return "unknown-job"
        case .badSpec: return "bad-spec"
        case .unschedulable: return "unschedulable"
        case .invalidState: return "invalid-state"
        case .unknownNode: return "unknown-node"
        case .internal: return "internal"
        case .staleAttempt: return "stale-attempt"
        case .expired: return "expired"
        case let .other(s): return s
        }
    }

    public init(rawValue: String) {
        self = Self.known.first { $0.rawValue == rawValue } ?? .other(rawValue)
    }

    public var description: String { rawValue }

    public init(from decoder: Decoder) throws { self.init(rawValue: try decoder.singleValueContainer().decode(String.self)) }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(rawValue)
    }
}
