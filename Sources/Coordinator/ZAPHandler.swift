// Implements: ZAPHandler, the coordinator's ZeroMQ authentication handler (ZAP, RFC 27): a REP
// socket bound to inproc://zeromq.zap.01 in the coordinator's own context, served by its own
// thread. libzmq asks it about every CURVE handshake on the ROUTER; it answers 200 only for a
// client public key listed in authorized_keys, 400 otherwise (500 while the list is unreadable).
// CURVE without a handler encrypts but lets every key in, so it binds before the ROUTER does.
import Foundation
import Wire

final class ZAPHandler: @unchecked Sendable {
    static let endpoint = "inproc://zeromq.zap.01"
    /// A refused key is reported at most once per this many seconds.
    static let refusalReportInterval: TimeInterval = 60
    /// The ZAP domain the ROUTER sets (ZMQ_ZAP_DOMAIN); requests for another are refused.
    let domain: String
    private let socket: ZMQSocket
    private let keys: AuthorizedKeysFile
    /// Called (on the ZAP thread) for a refusal: key (Z85) or mechanism, peer address, and how
    /// many refusals of the same key were not reported since the last report.
    private let onRefusal: (_ who: String, _ address: String, _ unreported: Int) -> Void
    private var lastReport: [String: (at: Date, unreported: Int)] = [:]
    private var thread: Thread?
    private let lock = NSLock()
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)

    /// Binds the handler's socket in `context`; nothing is answered until `start()`.
    /// - Throws: `WireError.zmq` if the context has a ZAP handler already (EADDRINUSE).
    init(context: ZMQContext, domain: String, keys: AuthorizedKeysFile,
         onRefusal: @escaping (_ who: String, _ address: String, _ unreported: Int) -> Void) throws(WireError) {
        socket = try ZMQSocket(.rep, context: context)
        try socket.bind(Self.endpoint)
        self.domain = domain; self.keys = keys; self.onRefusal = onRefusal
    }

    /// Answers requests on a thread until `stop()`.
    func start() {
        let t = Thread { [self] in
            while !isStopping {
                // A REP socket must answer each request before it can take the next.
                guard let frames = try? socket.receive(timeoutMs: 100) else { continue }
                try? socket.send(reply(to: frames), dontWait: false)
            }
            done.signal()
        }
        t.name = "coordinator-zap"
        t.start()
        thread = t
    }

    func stop() {
        lock.lock(); let was = stopping; stopping = true; lock.unlock()
        if !was && thread != nil { done.wait() }
    }

    private var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    /// The reply to one request. Request frames: version "1.0", request id, domain, address,
    /// identity, mechanism, credentials… (CURVE: one frame, the client's 32-byte public key).
    /// Reply frames: version, request id, status code, status text, user id, metadata.
    func reply(to f: [Data]) -> [Data] {
        let text = { (i: Int) in i < f.count ? String(decoding: f[i], as: UTF8.self) : "" }
        let answer = { (code: String, status: String, user: String) -> [Data] in
            [Data("1.0".utf8), f.count > 1 ? f[1] : Data(), Data(code.utf8), Data(status.utf8), Data(user.utf8), Data()]
        }
        guard f.count >= 6, text(0) == "1.0" else { return answer("500", "malformed ZAP request", "") }
        guard text(2) == domain else { return answer("400", "unknown ZAP domain", "") }
        let address = text(3), mechanism = text(5)
        guard mechanism == "CURVE", f.count == 7, f[6].count == 32 else {
            refused("mechanism \(mechanism)", address: address)
            return answer("400", "CURVE required", "")
        }
        let z85 = ZMQCurve.encode(f[6])
        switch keys.keys() {
        case .failure: return answer("500", "authorized keys unavailable", "")
        case let .success(k):
            if let name = k.names[f[6]] { return answer("200", "OK", name.isEmpty ? z85 : name) }
            refused(z85, address: address)
            return answer("400", "key not authorized", "")
        }
    }

    /// Reports a refusal unless the same key was reported within the last interval.
    private func refused(_ who: String, address: String) {
        let now = Date()
        if let last = lastReport[who], now.timeIntervalSince(last.at) < Self.refusalReportInterval {
            lastReport[who]?.unreported += 1
            return
        }
        if lastReport.count >= 10_000 {  // many distinct keys: forget those past their interval
            lastReport = lastReport.filter { now.timeIntervalSince($0.value.at) < Self.refusalReportInterval }
        }
        let unreported = lastReport[who]?.unreported ?? 0
        lastReport[who] = (now, 0)
        onRefusal(who, address, unreported)
    }
}
