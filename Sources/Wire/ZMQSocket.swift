// Implements: ZMQSocket, a thin owner of one libzmq socket: options, bind/connect, multipart send
// and receive with a poll timeout. Every raw zmq_* call of Cohort lives in this file and goes
// through `zmqCheck`, which turns -1 into WireError.zmq naming the call.
import CZMQ
import Foundation

/// The process-wide libzmq context (never terminated: sockets close with linger 0).
nonisolated(unsafe) let sharedContext: UnsafeMutableRawPointer = zmq_ctx_new()!

@discardableResult
func zmqCheck(_ rc: Int32, _ call: String) throws(WireError) -> Int32 {
    guard rc != -1 else { throw .zmq(call: call, errno: zmq_errno()) }
    return rc
}

public final class ZMQSocket {
    public enum Kind { case router, dealer
        var raw: Int32 { self == .router ? ZMQ_ROUTER : ZMQ_DEALER }
    }
    let handle: UnsafeMutableRawPointer

    /// Opens a socket with linger 0 (closing never blocks on unsent messages).
    /// The corresponding C function is `zmq_socket`.
    public init(_ kind: Kind) throws(WireError) {
        guard let h = zmq_socket(sharedContext, kind.raw) else { throw .zmq(call: "zmq_socket", errno: zmq_errno()) }
        handle = h
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
