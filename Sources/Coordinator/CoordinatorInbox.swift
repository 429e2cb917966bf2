// Implements: the coordinator's inbox: frames are taken off the ROUTER socket as soon as the loop
// can, stamped with that time and decoded, then served liveness first. Heartbeats and registers
// (cheap, and what liveness is judged by) are served before any queued request, the socket is
// drained again after every request, and liveness is judged only after such a drain, so a slow
// or flooding client delays replies to itself and others, never a node's or rank's liveness. A
// request that has waited longer than its `timeout_ms` is not executed: its client gave up.
import Foundation
import Wire

/// One message taken off the socket.
struct Inbound {
    var identity: Data
    /// The typed request, or the error reply it deserves; nil for a frame without an envelope.
    var decoded: Result<(Envelope, Request), Message>?
    /// When it was taken off the socket.
    var at: Date

    /// Agent register/heartbeat and trainer heartbeat: served first.
    var isLiveness: Bool {
        guard case let .success((_, r))? = decoded else { return false }
        switch r {
        case .register, .agentHeartbeat, .trainerHeartbeat: return true
        default: return false
        }
    }
}

extension Coordinator {
    /// Most messages held in the inbox; beyond it the socket's own queue holds them.
    static let inboxLimit = 10_000

    /// Moves every frame waiting on the socket into the inbox (waiting up to `timeoutMs` for the first).
    func drain(timeoutMs: Int) {
        var wait = timeoutMs
        do {
            while inbox.count - inboxHead < Self.inboxLimit, let frames = try router.receive(timeoutMs: wait) {
                wait = 0
                let now = Date()
                guard let identity = frames.first, !identity.isEmpty else { continue }
                let item = Inbound(identity: identity, decoded: decode(frames), at: now)
                if item.isLiveness { beats.append(item) } else { inbox.append(item) }
            }
        } catch { log("receive: \(error)") }
    }

    /// Checks the envelope and decodes the body: the typed request, or the error reply it deserves.
    func decode(_ frames: [Data]) -> Result<(Envelope, Request), Message> {
        if frames.count != 3 || !frames[1].isEmpty {
            return .failure(.error(to: "", .malformed, "expected frames [empty delimiter, body], got \(frames.count - 1) frame(s)"))
        }
        if frames[2].count > config.maxFrameBytes {
            return .failure(.error(to: "", .tooLarge, "frame of \(frames[2].count) bytes exceeds the limit of \(config.maxFrameBytes) bytes"))
        }
        return MessageCodec.decodeRequest(frames[2], limit: config.maxFrameBytes)
    }

    /// Serves every queued liveness message, then at most one request; drains after each request.
    /// - Returns: whether anything was served.
    func serveSome() -> Bool {
        var served = false
        while !beats.isEmpty {
            let b = beats; beats = []
            for item in b { serve(item) }
            served = true
        }
        if inboxHead < inbox.count {
            let item = inbox[inboxHead]
            inboxHead += 1
            if inboxHead > 1024 && inboxHead * 2 > inbox.count { inbox.removeFirst(inboxHead); inboxHead = 0 }
            serve(item)
            served = true
            drain(timeoutMs: 0)
        }
        return served
    }

    /// Client requests a coordinator may skip once their requester gave up.
    static let expirable: Set<Message.Kind> = [.submit, .status, .list, .logs, .cancel, .nodes, .metrics]

    /// A message whose handling takes longer than this (milliseconds) counts as a stall.
    static let stallMs = 100.0

    func serve(_ item: Inbound) {
        let started = DispatchTime.now().uptimeNanoseconds, cpuStarted = Self.threadCPUNanoseconds()
        defer {
            let ms = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e6
            let cpuMs = Double(Self.threadCPUNanoseconds() - cpuStarted) / 1e6
            metricsLock.lock(); servingCost.observe(item.costLabel, seconds: cpuMs / 1000); metricsLock.unlock()
            if ms > Self.stallMs { countStall(ms, cpuMs: cpuMs, item) }
        }
        let reply: Message?
        switch item.decoded {
        case let .failure(err)?: reply = err
        case let .success((e, request))?:
            let waitedMs = Date().timeIntervalSince(item.at) * 1000
            if let t = e.timeoutMs, Self.expirable.contains(e.kind), waitedMs > Double(t) {
                reply = .error(to: e.id, .expired, String(format: "request waited %.0f ms, longer than its timeout_ms %d; not executed", waitedMs, t))
            } else {
                do { reply = try handle(request, id: e.id, from: item.identity, at: item.at) } catch {
                    log("\(e.kind.rawValue) \(e.id): \(error)")
                    reply = .error(to: e.id, .internal, "the coordinator could not serve \(e.kind.rawValue): \(Self.internalSummary(error))")
                }
            }
        case nil: reply = nil
        }
        requestsServed += 1
        if let reply { send(reply, to: item.identity) }
    }

    /// Counts a stall and logs which message it was (its kind and id, or that it did not decode)
    /// and how much of the time was this thread's own CPU time: a stall with little of it was the
    /// thread waiting (preempted on a loaded machine, or blocked in a system call), not work.
    func countStall(_ ms: Double, cpuMs: Double, _ item: Inbound) {
        metricsLock.lock(); stalls += 1; if cpuMs > Self.stallMs { busyStalls += 1 }; metricsLock.unlock()
        var what = "a message without an envelope"
        switch item.decoded {
        case let .success((e, _))?: what = "\(e.kind.rawValue) \(TerminalText.line(String(e.id.prefix(64))))"
        case let .failure(m)?: what = "an invalid message (\(m.code.map { "\($0)" } ?? "error"))"
        case nil: break
        }
        log(String(format: "serving %@ took %.0f ms, %.1f ms of it on the CPU", what, ms, cpuMs))
    }

    /// CPU time this thread has used. The corresponding C call is `clock_gettime(CLOCK_THREAD_CPUTIME_ID)`.
    static func threadCPUNanoseconds() -> UInt64 {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return UInt64(t.tv_sec) * 1_000_000_000 + UInt64(t.tv_nsec)
    }

    /// Messages whose handling took longer than `stallMs` since start (also on the metrics page).
    public var stallCount: Int { metricsLock.lock(); defer { metricsLock.unlock() }; return stalls }

    /// Stalls in which serving the message itself used over `stallMs` of CPU time (work, not waiting).
    public var busyStallCount: Int { metricsLock.lock(); defer { metricsLock.unlock() }; return busyStalls }

    /// A one-line, bounded description of an internal failure (the full error goes to the log).
    static func internalSummary(_ error: Error) -> String {
        if error is StoreError { return "\(error)" }
        return String(describing: type(of: error)) + " (see the coordinator's log)"
    }
}
