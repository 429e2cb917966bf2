// Implements: ZMQSocket, a thin owner of one libzmq socket: options, bind/connect, multipart send
// and receive with a poll timeout, socket monitoring; ZMQContext; and the CURVE/Z85 helpers.
// Every raw zmq_* call of Cohort lives in this file and goes through `zmqCheck`, which turns -1
// into WireError.zmq naming the call.
import CZMQ
import Foundation

/// The process-wide libzmq context (never terminated: sockets close with linger 0).
nonisolated(unsafe) let sharedContext: UnsafeMutableRawPointer = zmq_ctx_new()!

/// A libzmq context. `shared` is the process-wide one; a coordinator with CURVE keys makes its
/// own, because a context holds only one ZAP handler (inproc://zeromq.zap.01).
public final class ZMQContext: @unchecked Sendable {
    let handle: UnsafeMutableRawPointer
    private let owned: Bool

    /// The process-wide context, never terminated.
    public static let shared = ZMQContext(handle: sharedContext)

    private init(handle: UnsafeMutableRawPointer) { self.handle = handle; owned = false }

    /// A new context, terminated when the last socket using it (each holds a reference) is gone.
    /// The corresponding C function is `zmq_ctx_new`.
    public init() throws(WireError) {
        guard let h = zmq_ctx_new() else { throw .zmq(call: "zmq_ctx_new", errno: zmq_errno()) }
        handle = h; owned = true
    }

    deinit { if owned { zmq_ctx_term(handle) } }
}

@discardableResult
func zmqCheck(_ rc: Int32, _ call: String) throws(WireError) -> Int32 {
    guard rc != -1 else { throw .zmq(call: call, errno: zmq_errno()) }
    return rc
}

public final class ZMQSocket {
    public enum Kind { case router, dealer, rep, pair
        var raw: Int32 {
            switch self { case .router: ZMQ_ROUTER; case .dealer: ZMQ_DEALER; case .rep: ZMQ_REP; case .pair: ZMQ_PAIR }
        }
    }
    let handle: UnsafeMutableRawPointer
    /// Kept so the context outlives its sockets (an owned context terminates in its deinit).
    public let context: ZMQContext

    /// Opens a socket with linger 0 (closing never blocks on unsent messages).
    /// The corresponding C function is `zmq_socket`.
    public init(_ kind: Kind, context: ZMQContext = .shared) throws(WireError) {
        guard let h = zmq_socket(context.handle, kind.raw) else { throw .zmq(call: "zmq_socket", errno: zmq_errno()) }
        handle = h
        self.context = context
        try setInt(ZMQ_LINGER, 0)
    }

    deinit { zmq_close(handle) }

    /// Sets an integer option. The corresponding C function is `zmq_setsockopt`.
    public func setInt(_ option: Int32, _ value: Int32) throws(WireError) {
        var v = value
        try zmqCheck(zmq_setsockopt(handle, option, &v, MemoryLayout<Int32>.size), "zmq_setsockopt(\(option))")
    }

    public func setInt64(_ option: Int32, _ value: Int64) throws(WireError) {
        var v = value
        try zmqCheck(zmq_setsockopt(handle, option, &v, MemoryLayout<Int64>.size), "zmq_setsockopt(\(option))")
    }

    /// Sets ZMQ_ROUTING_ID, so a ROUTER can address this peer across reconnects.
    public func setRoutingID(_ id: String) throws(WireError) {
        let bytes = Array(id.utf8)
        try zmqCheck(zmq_setsockopt(handle, ZMQ_ROUTING_ID, bytes, bytes.count), "zmq_setsockopt(ZMQ_ROUTING_ID)")
    }

    /// Sets a string option (CURVE keys in Z85, ZMQ_ZAP_DOMAIN); `name` names it in errors.
    public func setString(_ option: Int32, _ value: String, name: String) throws(WireError) {
        let bytes = Array(value.utf8)
        try zmqCheck(zmq_setsockopt(handle, option, bytes, bytes.count), "zmq_setsockopt(\(name))")
    }

    /// Makes this socket a CURVE server with `secretKey` (Z85) whose ZAP requests carry `zapDomain`.
    public func setCurveServer(secretKey: String, zapDomain: String) throws(WireError) {
        try setInt(ZMQ_CURVE_SERVER, 1)
        try setString(ZMQ_CURVE_SECRETKEY, secretKey, name: "ZMQ_CURVE_SECRETKEY")
        try setString(ZMQ_ZAP_DOMAIN, zapDomain, name: "ZMQ_ZAP_DOMAIN")
    }

    /// Makes this socket a CURVE client of the server with public key `serverKey` (all Z85).
    public func setCurveClient(serverKey: String, publicKey: String, secretKey: String) throws(WireError) {
        try setString(ZMQ_CURVE_SERVERKEY, serverKey, name: "ZMQ_CURVE_SERVERKEY")
        try setString(ZMQ_CURVE_PUBLICKEY, publicKey, name: "ZMQ_CURVE_PUBLICKEY")
        try setString(ZMQ_CURVE_SECRETKEY, secretKey, name: "ZMQ_CURVE_SECRETKEY")
    }

    /// Publishes this socket's `events` (ZMQ_EVENT_* bits) on a PAIR endpoint `inproc://…` of
    /// its context. The corresponding C function is `zmq_socket_monitor`.
    public func monitor(_ endpoint: String, events: Int32) throws(WireError) {
        try zmqCheck(zmq_socket_monitor(handle, endpoint, events), "zmq_socket_monitor(\(endpoint))")
    }

    public func bind(_ endpoint: String) throws(WireError) { try zmqCheck(zmq_bind(handle, endpoint), "zmq_bind(\(endpoint))") }
    public func connect(_ endpoint: String) throws(WireError) { try zmqCheck(zmq_connect(handle, endpoint), "zmq_connect(\(endpoint))") }

    /// The endpoint actually bound (resolves port 0 / "*").
    public func lastEndpoint() throws(WireError) -> String {
        var buf = [CChar](repeating: 0, count: 256)
        var len = buf.count
        try zmqCheck(zmq_getsockopt(handle, ZMQ_LAST_ENDPOINT, &buf, &len), "zmq_getsockopt(ZMQ_LAST_ENDPOINT)")
        return String(cString: buf)
    }

    /// Sends all frames as one multipart message; with `dontWait` an unroutable or full peer
    /// throws (EHOSTUNREACH / EAGAIN) instead of blocking.
    public func send(_ frames: [Data], dontWait: Bool = true) throws(WireError) {
        for (i, frame) in frames.enumerated() {
            var flags: Int32 = i < frames.count - 1 ? ZMQ_SNDMORE : 0
            if dontWait { flags |= ZMQ_DONTWAIT }
            let rc = frame.withUnsafeBytes { raw in zmq_send(handle, raw.baseAddress, raw.count, flags) }
            try zmqCheck(rc, "zmq_send")
        }
    }

    /// Waits up to `timeoutMs` (−1: forever) for a message. Returns nil on timeout.
    /// The corresponding C functions are `zmq_poll` and `zmq_msg_recv`.
    public func receive(timeoutMs: Int) throws(WireError) -> [Data]? {
        var item = zmq_pollitem_t(socket: handle, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0)
        let n = zmq_poll(&item, 1, timeoutMs)
        if n == -1 {
            if zmq_errno() == EINTR { return nil }
            throw .zmq(call: "zmq_poll", errno: zmq_errno())
        }
        if n == 0 { return nil }
        var frames: [Data] = []
        while true {
            var msg = zmq_msg_t()
            zmq_msg_init(&msg)
            defer { zmq_msg_close(&msg) }
            try zmqCheck(zmq_msg_recv(&msg, handle, 0), "zmq_msg_recv")
            let size = zmq_msg_size(&msg)
            frames.append(size == 0 ? Data() : Data(bytes: zmq_msg_data(&msg), count: size))
            if zmq_msg_more(&msg) == 0 { break }
        }
        return frames
    }
}

/// CURVE keys in Z85 (40 characters for 32 bytes). The corresponding C functions are
/// `zmq_curve_keypair`, `zmq_curve_public`, `zmq_z85_encode` and `zmq_z85_decode`.
public enum ZMQCurve {
    /// A new random key pair (public, secret), both Z85.
    public static func keypair() throws(WireError) -> (publicKey: String, secretKey: String) {
        var pub = [CChar](repeating: 0, count: 41), sec = [CChar](repeating: 0, count: 41)
        try zmqCheck(zmq_curve_keypair(&pub, &sec), "zmq_curve_keypair")
        return (String(cString: pub), String(cString: sec))
    }

    /// The public key (Z85) that belongs to `secretKey` (Z85).
    public static func publicKey(secretKey: String) throws(WireError) -> String {
        var pub = [CChar](repeating: 0, count: 41)
        try zmqCheck(zmq_curve_public(&pub, secretKey), "zmq_curve_public")
        return String(cString: pub)
    }

    /// 32 bytes from a 40-character Z85 string; nil if it is not one.
    public static func decode(_ z85: String) -> Data? {
        guard z85.utf8.count == 40 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&out, z85) != nil else { return nil }
        return Data(out)
    }

    /// Z85 text of `bytes` (a multiple of 4 long, e.g. a 32-byte key).
    public static func encode(_ bytes: Data) -> String {
        guard bytes.count % 4 == 0 else { return bytes.map { String(format: "%02x", $0) }.joined() }
        var out = [CChar](repeating: 0, count: bytes.count * 5 / 4 + 1)
        _ = bytes.withUnsafeBytes { zmq_z85_encode(&out, $0.bindMemory(to: UInt8.self).baseAddress, bytes.count) }
        return String(cString: out)
    }
}
