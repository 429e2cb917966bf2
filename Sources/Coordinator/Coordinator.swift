// Implements: Coordinator, the daemon as a library type: one ROUTER socket served by one thread
// (every request, heartbeat and scheduling decision happens on it, so slot accounting needs no
// locks), the Store, and start/stop for embedding in `cohort coordinator`, `cohort run` and tests.
import CZMQ
import Foundation
import Wire

public final class Coordinator: @unchecked Sendable {
    public let config: CoordinatorConfig
    let store: Store
    /// Held from init to stop: one coordinator per state directory.
    private let stateLock: StateDirLock
    var router: ZMQSocket!
    /// The endpoint actually bound; ranks and agents are told this one.
    public private(set) var endpoint = ""
    public private(set) var metricsPort: Int?
    var metricsServer: MetricsServer?
    /// Keys and ZAP handler when CURVE is on (CoordinatorCurve.swift).
    var curve: Curve?

    /// Live view of agents, keyed by node name (loop thread only).
    struct LiveNode { var host: String; var address: String; var slots: Int; var lastSeen: Date; var routingID: Data }
    var nodes: [String: LiveNode] = [:]
    /// Attempts whose mpirun may still run (loop thread only).
    struct Active {
        var job: Int64; var attempt: Int64; var dir: String; var allocation: [AllocationSlice]
        var wrapperPid: pid_t?; var isChild: Bool; var killDeadline: Date?; var hardKilled = false; var fault: String?
        var launchedAt = Date()
        /// Last trainer heartbeat per rank; ranks that said goodbye (ended cleanly) are in `doneRanks`.
        var beats: [Int: Date] = [:]
        var doneRanks: Set<Int> = []
        /// A checkpoint was committed during this attempt (resets the back-off).
        var committed = false
        /// Being ended to restart at this many ranks (growth at a checkpoint), not for a fault.
        var resizeTo: Int?
        var ranks: Int { allocation.reduce(0) { $0 + $1.slots } }
        /// The node rank `r` runs on (mpirun's by-slot mapping of the hostfile).
        func node(ofRank r: Int) -> String? {
            var first = 0
            for s in allocation { if r < first + s.slots { return s.node }; first += s.slots }
            return nil
        }
        /// Still meant to run: no fault, resize or kill under way.
        var healthy: Bool { fault == nil && resizeTo == nil && killDeadline == nil }
    }
    var active: [Int64: Active] = [:]  // by job id
    /// What the loop keeps per unfinished job besides its attempt, in one value so that a job
    /// reaching a terminal state drops all of it at once (`forget`).
    struct JobLoop {
        /// A restarting job waits until then (back-off).
        var notBefore: Date?
        /// Faults in a row without a committed checkpoint.
        var failStreak = 0
        /// The spec summary, parsed once (a spec never changes; the scheduler asks every tick).
        var summary: SpecSummary?
    }
    var jobs: [Int64: JobLoop] = [:]  // by job id (loop thread only)
    /// job_info of terminal jobs, which never changes, as `list` last built it (loop thread only).
    var finishedInfos: [Int64: JobInfo] = [:]
    private var thread: Thread?
    private let lock = NSLock()
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)
    var requestsServed = 0
    /// Messages taken off the socket, not yet served (CoordinatorInbox.swift; loop thread only).
    var inbox: [Inbound] = []
    var inboxHead = 0
    var beats: [Inbound] = []
    /// Messages that took longer than CoordinatorInbox's stall threshold to serve (under metricsLock).
    var stalls = 0
    /// Of those, the ones where the serving itself used over the threshold of CPU time.
    var busyStalls = 0
    /// The serving thread's CPU time per message type (under metricsLock).
    var servingCost = ServingCost()
    /// A snapshot for the metrics thread.
    var snapshot = MetricsSnapshot()
    let metricsLock = NSLock()

    /// Opens the store in `config.stateDir`; nothing is bound until `start()`.
    /// - Throws: `ConfigError` for a bad config, `StoreError` if the database cannot be opened.
    public init(config: CoordinatorConfig) throws {
        try config.validate()
        self.config = config
        stateLock = try StateDirLock(directory: config.stateDir)
        store = try Store(directory: config.stateDir, syncEveryCommit: config.syncEveryCommit)
    }

    /// Binds, recovers attempts left by a previous run, and starts serving on a thread.
    public func start() throws {
        let r = try ZMQSocket(.router, context: try startCurve())  // with keys: own context, ZAP handler first
        try r.setInt(ZMQ_ROUTER_MANDATORY, 1)  // a ROUTER otherwise silently drops unroutable replies
        try r.setInt(ZMQ_ROUTER_HANDOVER, 1)   // a restarted agent (same routing id) takes over its old connection
        try r.setInt64(ZMQ_MAXMSGSIZE, WireProtocol.hardMessageCapBytes)
        try bindRouter(r)
        router = r
        endpoint = try r.lastEndpoint()
        try recover()
        try store.startCheckpointing()
        warmUp()
        if let port = config.metricsPort {
            let m = try MetricsServer(port: port, coordinator: self)
            metricsServer = m
            metricsPort = m.port
        }
        let t = Thread { [self] in loop() }
        t.name = "coordinator"
        t.start()
        thread = t
    }

    /// A representative spec, parsed once before serving: the first parse in a process pays for
    /// the YAML parser's and the spec schema's one-time setup (3-4 ms of CPU on Zen 4), which would
    /// otherwise land on the first client's submit.
    static let warmUpSpec = """
        name: warm-up
        model: {kind: mlp, hidden: [8]}
        data: {kind: fashion-mnist}
        train: {epochs: 1, batch_per_rank: 8, optimizer: sgd, lr: 0.1, seed: 1}
        parallel: {ranks: 1}
        fault: {max_restarts: 1}
        """

    /// Pays one-time costs of the submit path before the first request (see `warmUpSpec`).
    func warmUp() {
        do { _ = try SpecSummary.parse(Self.warmUpSpec, source: "warm-up") } catch { log("warm-up spec refused: \(error)") }
    }

    /// Stops serving and closes the socket; running jobs keep running (a restart re-attaches).
    public func stop() {
        lock.lock(); let was = stopping; stopping = true; lock.unlock()
        guard !was, thread != nil else { stateLock.release(); return }
        stopped.wait()
        store.stopCheckpointing()
        metricsServer?.stop()
        stopCurve()
        stateLock.release()
    }

    var isStopping: Bool { lock.lock(); defer { lock.unlock() }; return stopping }

    private func loop() {
        var lastTick = Date.distantPast
        while !isStopping {
            drain(timeoutMs: inbox.count > inboxHead || !beats.isEmpty ? 0 : 50)
            let served = serveSome()
            if !served || Date().timeIntervalSince(lastTick) >= 0.05 {
                // Judge liveness only with every message that has arrived taken in and stamped.
                drain(timeoutMs: 0)
                while !beats.isEmpty { _ = serveSome() }
                lastTick = Date()
                tick()
            }
        }
        router = nil
        stopped.signal()
    }

    /// One pass of housekeeping: reap and finish attempts, expire nodes, schedule.
    func tick() {
        do {
            try monitorAttempts()
            expireNodes()
            watchTrainers()
            try schedule()
        } catch { log("tick: \(error)") }
        updateSnapshot()
    }

    func send(_ m: Message, to identity: Data) {
        do { try router.send([identity, Data(), MessageCodec.encode(m)]) } catch {
            log("cannot send \(m.type.rawValue) to peer: \(error)")  // EHOSTUNREACH: the peer is gone
        }
    }

    /// A condition worth a line that is not a job or node event (those go through the Store).
    func log(_ s: String, level: EventLog.Level = .warn) {
        EventLog.log(level, "coordinator", ["detail": s])
    }

    var livenessWindow: TimeInterval { Double(config.heartbeatIntervalMs * config.heartbeatLiveness) / 1000 }

    func isLive(_ n: LiveNode) -> Bool { Date().timeIntervalSince(n.lastSeen) <= livenessWindow }

    func expireNodes() {
        for (name, n) in nodes where !isLive(n) {
            nodes[name] = nil
            try? store.event(job: nil, kind: "node-lost", detail: "\(name): no heartbeat for \(livenessWindow) s")
            for (job, a) in active where a.allocation.contains(where: { $0.node == name }) && a.healthy {
                fault(job, "node \(name) lost: no heartbeat for \(livenessWindow) s")
            }
        }
    }

    /// Slots in use per node, counting every active attempt.
    func usedSlots() -> [String: Int] {
        var used: [String: Int] = [:]
        for a in active.values { for s in a.allocation { used[s.node, default: 0] += s.slots } }
        return used
    }

    func schedulerNodes() -> [Scheduler.Node] {
        let used = usedSlots()
        return nodes.filter { isLive($0.value) }.map {
            Scheduler.Node(name: $0.key, address: $0.value.address, free: max(0, $0.value.slots - used[$0.key, default: 0]), total: $0.value.slots)
        }.sorted { $0.name < $1.name }
    }
}
