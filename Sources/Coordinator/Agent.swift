// Implements: Agent, the per-node daemon as a library type: registers the node (name, host,
// address, slots), heartbeats every interval with the rank processes it sees, reports ranks that
// exit, and on a coordinator `kill` terminates the job's local ranks. It starts nothing itself.
import Foundation
import Wire

public final class Agent: @unchecked Sendable {
    public let name: String, host: String, address: String, slots: Int
    public let endpoint: String
    /// Heartbeat pace; the coordinator's replies set it to its own interval.
    var intervalMs: Int
    private let client: RequestClient
    private var thread: Thread?
    private let lock = NSLock()
    private var stopping = false
    private let done = DispatchSemaphore(value: 0)
    private var seen: Set<RankProcess> = []
    private var lastHandshakeFailure: HandshakeFailure?

    /// - Parameter curve: the coordinator's public key and the agent's, when it uses CURVE.
    public init(name: String, host: String? = nil, address: String = "127.0.0.1", slots: Int, coordinator: String,
                heartbeatIntervalMs: Int = WireProtocol.heartbeatIntervalMs, curve: CurveClientKeys? = nil) {
        self.name = name; self.host = host ?? ProcessInfo.processInfo.hostName; self.address = address; self.slots = slots
        endpoint = coordinator; intervalMs = heartbeatIntervalMs
        client = RequestClient(endpoint: coordinator, timeoutMs: 2000, routingID: "agent:\(name)", curve: curve)
    }

    /// Starts registering and heartbeating on a thread.
    public func start() {
        let t = Thread { [self] in run() }
        t.name = "agent-\(name)"
        t.start()
        thread = t
    }

    /// Stops heartbeating (the coordinator then declares the node dead after its liveness window).
    public func stop() {
        lock.lock(); let was = stopping; stopping = true; lock.unlock()
        if !was && thread != nil { done.wait() }
    }

    var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    func message(_ kind: Message.Kind) -> Message {
        var m = Message(kind)
        m.node = name; m.host = host; m.address = address; m.slots = slots
        return m
    }

    /// Logs a failed handshake (a refused key) once until a reply arrives, and reopens the socket
    /// after a final one: libzmq does not reconnect after a refusal, and the key may be authorized later.
    private func reportHandshake() {
        guard let failure = client.handshakeFailure() else { return }
        if failure != lastHandshakeFailure {
            EventLog.log(.error, "handshake-refused", ["node": name, "detail": failure.describe(endpoint: endpoint)])
        }
        lastHandshakeFailure = failure
        if failure.isFinal { client.reset() }
    }

    /// Silence after which the agent says the coordinator does not answer (it keeps retrying).
    static let unreachableAfter: TimeInterval = 3

    /// One stderr line when the coordinator stops answering and one when it answers again.
    private func reportReachability(lastReply: Date, saidUnreachable: inout Bool) {
        let silent = Date().timeIntervalSince(lastReply) > max(Self.unreachableAfter, 3 * Double(intervalMs) / 1000)
        if silent && !saidUnreachable {
            EventLog.log(.warn, "coordinator-unreachable", ["node": name, "coordinator": endpoint, "detail": "no answer; retrying"])
        } else if !silent && saidUnreachable {
            EventLog.log(.info, "coordinator-reached", ["node": name, "coordinator": endpoint])
        }
        saidUnreachable = silent
    }

    private func run() {
        EventLog.log(.info, "register", ["node": name, "address": address, "slots": String(slots), "coordinator": endpoint])
        try? client.post(message(.register))
        var next = Date()
        var lastReply = Date(), saidUnreachable = false
        while !isStopping {
            reportReachability(lastReply: lastReply, saidUnreachable: &saidUnreachable)
            if Date() >= next {
                next = Date().addingTimeInterval(Double(intervalMs) / 1000)
                reportHandshake()
                var hb = message(.heartbeat)
                let now = Set(Self.rankProcesses())
                hb.processes = Array(now)
                try? client.post(hb)
                for gone in seen.subtracting(now) {
                    EventLog.log(.info, "rank-exit", ["job": gone.job, "rank": String(gone.rank), "pid": String(gone.pid)])
                    var m = message(.workerExit)
                    m.job = gone.job; m.rank = gone.rank; m.pid = gone.pid
                    try? client.post(m)
                }
                seen = now
            }
            // Replies to posts are acknowledgements (carrying the coordinator's heartbeat interval);
            // only `kill` asks for action.
            if let m = try? client.receive(timeoutMs: 20) {
                lastHandshakeFailure = nil  // a reply: the handshake went through
                lastReply = Date()
                if m.type == .kill, let k = try? Kill(m) {
                    EventLog.log(.info, "kill", ["job": k.job, "ranks": k.ranks.isEmpty ? "all" : k.ranks.map(String.init).joined(separator: ","),
                                                 "signal": k.signal == .kill ? "KILL" : "TERM"])
                    kill(job: k.job, ranks: Set(k.ranks), now: k.signal == .kill, graceMs: k.graceMs ?? Self.defaultGraceMs)
                }
                if m.type == .ok, let i = m.intervalMs, i >= 10, i != intervalMs {
                    intervalMs = i
                    next = min(next, Date().addingTimeInterval(Double(i) / 1000))
                }
            }
        }
        client.reset()  // close the socket: a new agent with this name must not find it in use
        done.signal()
    }

    /// Grace between SIGTERM and SIGKILL when a `kill` names none (an older coordinator).
    static let defaultGraceMs = 2000

    /// SIGTERM to the job's local ranks (all of them if `ranks` is empty), SIGKILL after `graceMs`
    /// (the coordinator's kill_grace_ms); with `now`, SIGKILL at once (which also ends a stopped process).
    func kill(job: String, ranks: Set<Int>, now: Bool = false, graceMs: Int = defaultGraceMs) {
        let targets = Self.rankProcesses().filter { $0.job == job && (ranks.isEmpty || ranks.contains($0.rank)) }
        if now {
            for p in targets { Foundation.kill(pid_t(p.pid), SIGKILL) }
            return
        }
        for p in targets { Foundation.kill(pid_t(p.pid), SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + .milliseconds(graceMs)) {
            for p in targets { Foundation.kill(pid_t(p.pid), SIGKILL) }
        }
    }

    /// Rank processes of this node: those whose environment holds COHORT_JOB_ID and
    /// OMPI_COMM_WORLD_RANK (mpirun exports both to every rank), in the agent's own network namespace
    /// (nodes made of namespaces share one /proc; each agent sees and kills only its node's ranks).
    public static func rankProcesses() -> [RankProcess] {
        var out: [RankProcess] = []
        let me = getpid()
        let fm = FileManager.default
        let myNet = try? fm.destinationOfSymbolicLink(atPath: "/proc/self/ns/net")
        for entry in (try? fm.contentsOfDirectory(atPath: "/proc")) ?? [] {
            guard let pid = Int32(entry), pid != me else { continue }
            if let myNet, let net = try? fm.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net"), net != myNet { continue }
            guard let env = LaunchContract.environment(ofProcess: pid), let job = env[LaunchContract.jobIDVariable],
                  let rank = env[LaunchContract.rankVariable].flatMap(Int.init) else { continue }
            out.append(RankProcess(job: job, rank: rank, pid: Int(pid)))
        }
        return out
    }
}
