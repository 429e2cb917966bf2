// Implements: RequestClient, request/reply over a DEALER socket with a timeout (zguide's "lazy
// pirate": after a timeout the socket is closed and reopened, so a late reply cannot be taken
// for the answer to the next request). With CurveClientKeys it speaks CURVE; a monitor on the
// socket turns a refused handshake into WireError.handshake. Not thread-safe: one client per thread.
import CZMQ
import Foundation

public final class RequestClient {
    public let endpoint: String
    public let timeoutMs: Int
    /// CURVE keys, or nil for the NULL mechanism (loopback coordinators without keys).
    public let curve: CurveClientKeys?
    private var socket: ZMQSocket?
    private var monitor: HandshakeMonitor?
    private let routingID: String?

    /// - Parameters:
    ///   - endpoint: e.g. tcp://127.0.0.1:5555.
    ///   - timeoutMs: how long one request waits for its reply.
    ///   - routingID: a stable identity (agents use one, so the coordinator can push to them).
    ///   - curve: the coordinator's public key and ours, when it uses CURVE.
    public init(endpoint: String, timeoutMs: Int = WireProtocol.defaultTimeoutMs, routingID: String? = nil, curve: CurveClientKeys? = nil) {
        self.endpoint = endpoint; self.timeoutMs = timeoutMs; self.routingID = routingID; self.curve = curve
    }

    func open() throws(WireError) -> ZMQSocket {
        if let socket { return socket }
        let s = try ZMQSocket(.dealer)
        if let routingID { try s.setRoutingID(routingID) }
        if let curve { try s.setCurveClient(serverKey: curve.serverPublicKey, publicKey: curve.own.publicKey, secretKey: curve.own.secretKey) }
        monitor = try HandshakeMonitor(watching: s, usingCurve: curve != nil)
        try s.connect(endpoint)
        socket = s
        return s
    }

    /// Drops the socket; the next call reconnects.
    public func reset() { monitor = nil; socket = nil }

    /// The last failed handshake since the last successful one, if any (agents poll it to log).
    public func handshakeFailure() -> HandshakeFailure? { monitor?.latestFailure() }

    /// Sends `request` and waits for the reply with the same id.
    /// - Throws: `WireError.timeout` after `timeoutMs`; `.handshake` when the coordinator refused
    ///   our key or expects one; `.remote` if the reply is an `error`.
    public func call(_ request: Message) throws(WireError) -> Message {
        let reply = try exchange(request)
        if reply.type == .error {
            throw .remote(code: reply.code ?? .other("error"), message: reply.message ?? "error")
        }
        return reply
    }

    /// Like `call` but returns an `error` reply instead of throwing it.
    public func exchange(_ request: Message) throws(WireError) -> Message {
        let s = try open()
        var request = request
        if request.timeoutMs == nil { request.timeoutMs = timeoutMs }  // the coordinator skips what we gave up on
        try s.send([Data(), MessageCodec.encode(request)], dontWait: false)
        let deadline = Date().addingTimeInterval(Double(timeoutMs) / 1000)
        while true {
            let left = Int(deadline.timeIntervalSinceNow * 1000)
            // Wait in slices, so that a refused handshake ends the wait early.
            let frames = left > 0 ? try s.receive(timeoutMs: min(left, 50)) : nil
            let failure = frames == nil ? handshakeFailure() : nil
            if let failure, failure.isFinal || left <= 0 {
                reset()
                throw .handshake(endpoint: endpoint, failure: failure)
            }
            guard left > 0 else {
                reset()
                throw .timeout(endpoint: endpoint, ms: timeoutMs)
            }
            guard let body = frames?.last else { continue }
            // Replies may be larger than requests (up to WireLimits.replyBytes, and libzmq's cap).
            switch MessageCodec.decode(body, limit: Int(WireProtocol.hardMessageCapBytes)) {
            case let .success(m) where m.id == request.id: return m
            case let .failure(err) where err.id == request.id: return err
            default: continue  // a push or a stale reply: not ours
            }
        }
    }

    /// Sends without waiting for a reply (heartbeats, pushes).
    public func post(_ m: Message) throws(WireError) {
        try open().send([Data(), MessageCodec.encode(m)], dontWait: true)
    }

    /// Receives one message addressed to this client, if any arrives within `timeoutMs`.
    public func receive(timeoutMs: Int) throws(WireError) -> Message? {
        guard let frames = try open().receive(timeoutMs: timeoutMs), let body = frames.last else { return nil }
        if case let .success(m) = MessageCodec.decode(body, limit: Int(WireProtocol.hardMessageCapBytes)) { return m }
        return nil
    }
}
