// Implements: HandshakeMonitor, the outcome of a socket's security handshakes read from libzmq's
// socket monitor (ZMQ_EVENT_HANDSHAKE_*), so that a coordinator refusing our CURVE key, or
// expecting one, becomes a clear error instead of a bare timeout.
import CZMQ
import Foundation

/// Why a handshake with the coordinator failed.
public struct HandshakeFailure: Equatable, Sendable {
    public enum Kind: Equatable, Sendable {
        /// The coordinator's ZAP handler said no: 400 (key not authorized) or 500 (it could not check).
        case refused(status: Int)
        /// One side speaks CURVE, the other does not.
        case mechanismMismatch
        /// The handshake broke off; with CURVE usually a wrong server key.
        case broken(detail: String)
    }
    public let kind: Kind
    /// Whether we offered CURVE keys.
    public let usingCurve: Bool

    /// Refusals and mismatches are final: waiting longer cannot help.
    public var isFinal: Bool { if case .broken = kind { return false }; return true }

    /// One sentence naming the coordinator and what to check.
    public func describe(endpoint ep: String) -> String {
        switch kind {
        case .refused(400):
            return "the coordinator at \(ep) refused our CURVE key (not in its authorized keys)"
        case let .refused(status):
            return "the coordinator at \(ep) could not check our CURVE key (ZAP status \(status): is its authorized_keys file readable and valid?)"
        case .mechanismMismatch where usingCurve:
            return "the coordinator at \(ep) does not use CURVE but we offered a key (drop --key/--server-key and COHORT_KEY/COHORT_SERVER_KEY)"
        case .mechanismMismatch:
            return "the coordinator at \(ep) requires CURVE keys (pass --key and --server-key, or set COHORT_KEY and COHORT_SERVER_KEY)"
        case let .broken(detail) where usingCurve:
            return "the CURVE handshake with the coordinator at \(ep) failed (\(detail)); is the server key its public key?"
        case let .broken(detail):
            return "the handshake with the coordinator at \(ep) failed (\(detail)); it may require CURVE keys (--key, --server-key)"
        }
    }
}

final class HandshakeMonitor {
    private let events: ZMQSocket
    private let usingCurve: Bool
    private var failure: HandshakeFailure?
    private static let lock = NSLock()
    nonisolated(unsafe) private static var count = 0

    /// Starts monitoring `socket`; call before it connects, so no handshake is missed.
    init(watching socket: ZMQSocket, usingCurve: Bool) throws(WireError) {
        Self.lock.lock(); Self.count += 1; let n = Self.count; Self.lock.unlock()
        let endpoint = "inproc://cohort-handshake-\(getpid())-\(n)"
        try socket.monitor(endpoint, events: ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
                           | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        events = try ZMQSocket(.pair, context: socket.context)
        try events.connect(endpoint)
        self.usingCurve = usingCurve
    }

    /// Reads the events that arrived so far; returns the last failure unless a handshake has
    /// succeeded since. Each event is two frames: (uint16 event, uint32 value) and the endpoint.
    func latestFailure() -> HandshakeFailure? {
        while let frames = try? events.receive(timeoutMs: 0), let head = frames.first, head.count >= 6 {
            let event = Int32(head.withUnsafeBytes { $0.loadUnaligned(as: UInt16.self) })
            let value = head.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 2, as: UInt32.self) }
            switch event {
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED: failure = nil
            case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: failure = HandshakeFailure(kind: .refused(status: Int(value)), usingCurve: usingCurve)
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL where value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH):
                failure = HandshakeFailure(kind: .mechanismMismatch, usingCurve: usingCurve)
            case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
                let what = value == UInt32(ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC) ? "cryptographic error" : "protocol error 0x" + String(value, radix: 16)
                failure = HandshakeFailure(kind: .broken(detail: what), usingCurve: usingCurve)
            default:  // NO_DETAIL: the value is an errno, EPIPE or ECONNRESET when the coordinator hung up
                let e = Int32(bitPattern: value)
                let what = e == EPIPE || e == ECONNRESET ? "it closed the connection" : String(cString: strerror(e))
                failure = HandshakeFailure(kind: .broken(detail: what), usingCurve: usingCurve)
            }
        }
        return failure
    }
}
