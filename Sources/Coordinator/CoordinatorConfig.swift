// Implements: CoordinatorConfig, cluster/coordinator.yaml: bind address, state directory,
// heartbeat interval × liveness, limits, launch settings and CURVE keys. Non-loopback binds are
// refused without CURVE keys (BindPolicy.swift).
import Foundation
import Wire
import Yams

public struct ConfigError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

public struct CoordinatorConfig: Codable, Sendable {
    /// ZeroMQ endpoint of the ROUTER socket, e.g. tcp://127.0.0.1:5555.
    public var bind: String = WireProtocol.defaultEndpoint
    /// SQLite database, hostfiles and per-job logs live here.
    public var stateDir: String = "/var/lib/cohort"
    public var heartbeatIntervalMs: Int = WireProtocol.heartbeatIntervalMs
    public var heartbeatLiveness: Int = WireProtocol.heartbeatLiveness
    /// Body frames over this size are refused (bytes).
    public var maxFrameBytes: Int = WireProtocol.maxFrameBytes
    /// Submissions beyond this many non-terminal jobs are refused.
    public var maxQueuedJobs: Int = 10_000
    /// Prometheus text metrics on http://127.0.0.1:PORT/metrics; 0 picks a free port, nil disables.
    public var metricsPort: Int? = 9464
    /// mpirun to launch with.
    public var mpirun: String = "mpirun"
    /// Passed as --mca plm_rsh_agent (tests use a script that enters a namespace or runs locally).
    public var rshAgent: String?
    /// Program each rank runs; default: this cohort executable. Only the config names it: a job
    /// spec never can. Invoked as `PROGRAM train --job ID --coordinator EP --checkpoint-dir DIR --resume auto SPEC`.
    public var workerProgram: String?
    /// Ask rank 0 for a redrawn progress bar in its log (twice a second): `logs --follow` relays the
    /// redraws to a terminal and flattens them to whole lines for a pipe.
    public var progressBar = true
    /// Grace between SIGTERM and SIGKILL when cancelling (milliseconds).
    public var killGraceMs: Int = 3000
    /// fsync every store transaction (SQLite synchronous=FULL), so acknowledged work survives an OS
    /// crash or power loss too. Off (NORMAL): it survives a crash of the coordinator, and each
    /// transaction costs no fsync (docs/protocol.md, Known weaknesses).
    public var syncEveryCommit = false
    /// Extra mpirun arguments for every launch (e.g. `--mca btl_tcp_if_include 10.1.2.0/24`).
    public var mpirunArgs: [String] = []
    /// An attempt whose ranks have not all started heartbeating this long after launch is a fault
    /// (milliseconds; 0 waits forever).
    public var startupTimeoutMs: Int = 120_000
    /// Wait before restarting a failed attempt; doubled for each further fault in a row without a new
    /// checkpoint, up to `restartBackoffMaxMs` (milliseconds).
    public var restartBackoffMs: Int = 1000
    public var restartBackoffMaxMs: Int = 30_000
    /// A rank that has not heard from the coordinator this long exits (milliseconds; see TrainerReporter).
    public var fenceMs: Int = WireProtocol.trainerFenceMs
    /// The coordinator's CURVE key pair file (`cohort keys`); with `authorizedKeys`, turns CURVE on.
    public var curveSecretKey: String?
    /// File of client public keys (Z85) allowed to connect, one per line.
    public var authorizedKeys: String?
    /// Key pair file handed to launched ranks (COHORT_KEY); its public key must be authorized.
    public var workerKey: String?

    public init() {}

    /// Reads a YAML file; absent keys keep their defaults.
    /// - Throws: `ConfigError` naming the file and the bad key or value.
    public static func load(path: String) throws -> CoordinatorConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            // Foundation's error hides the OS reason; open(2) gives it (missing, permission, a directory).
            let fd = open(path, O_RDONLY)
            let reason = fd < 0 ? String(cString: strerror(errno)) : "not readable UTF-8 text"
            if fd >= 0 { close(fd) }
            throw ConfigError(message: "cannot read coordinator config \(path): \(reason)")
        }
        return try parse(text, source: path)
    }

    public static func parse(_ text: String, source: String) throws -> CoordinatorConfig {
        var c = CoordinatorConfig()
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch { throw ConfigError(message: "\(source): not valid YAML: \(error)") }
        guard let map = root as? [String: Any] else {
            if root == nil { return c }
            throw ConfigError(message: "\(source): expected a mapping at the top level")
        }
        func int(_ k: String) throws -> Int? {
            guard let v = map[k] else { return nil }
            guard let i = v as? Int else { throw ConfigError(message: "\(source): \(k) must be an integer, got \(v)") }
            return i
        }
        func str(_ k: String) throws -> String? {
            guard let v = map[k] else { return nil }
            guard let s = v as? String else { throw ConfigError(message: "\(source): \(k) must be a string, got \(v)") }
            return s
        }
        let known: Set = ["bind", "state_dir", "heartbeat_interval_ms", "heartbeat_liveness", "max_frame_bytes",
                          "max_queued_jobs", "metrics_port", "mpirun", "rsh_agent", "worker_program", "kill_grace_ms",
                          "mpirun_args", "startup_timeout_ms", "restart_backoff_ms", "restart_backoff_max_ms", "fence_ms",
                          "curve_secret_key", "authorized_keys", "worker_key", "sync_every_commit"]
        for k in map.keys where !known.contains(k) { throw ConfigError(message: "\(source): unknown key \(k)") }
        if let v = try str("bind") { c.bind = v }
        if let v = try str("state_dir") { c.stateDir = v }
        if let v = try int("heartbeat_interval_ms") { c.heartbeatIntervalMs = v }
        if let v = try int("heartbeat_liveness") { c.heartbeatLiveness = v }
        if let v = try int("max_frame_bytes") { c.maxFrameBytes = v }
        if let v = try int("max_queued_jobs") { c.maxQueuedJobs = v }
        if map.keys.contains("metrics_port") { c.metricsPort = map["metrics_port"] is NSNull ? nil : try int("metrics_port") }
        if let v = try str("mpirun") { c.mpirun = v }
        if let v = try str("rsh_agent") { c.rshAgent = v }
        if let v = try str("worker_program") { c.workerProgram = v }
        if let v = try int("kill_grace_ms") { c.killGraceMs = v }
        if let v = map["sync_every_commit"] {
            guard let b = v as? Bool else { throw ConfigError(message: "\(source): sync_every_commit must be true or false, got \(v)") }
            c.syncEveryCommit = b
        }
        if let v = map["mpirun_args"] {
            guard let list = v as? [Any], list.allSatisfy({ $0 is String }) else {
                throw ConfigError(message: "\(source): mpirun_args must be a list of strings, got \(v)")
            }
            c.mpirunArgs = list.map { $0 as! String }
        }
        if let v = try int("startup_timeout_ms") { c.startupTimeoutMs = v }
        if let v = try int("restart_backoff_ms") { c.restartBackoffMs = v }
        if let v = try int("restart_backoff_max_ms") { c.restartBackoffMaxMs = v }
        if let v = try int("fence_ms") { c.fenceMs = v }
        if let v = try str("curve_secret_key") { c.curveSecretKey = v }
        if let v = try str("authorized_keys") { c.authorizedKeys = v }
        if let v = try str("worker_key") { c.workerKey = v }
        try c.validate(source: source)
        return c
    }

    /// - Throws: `ConfigError` for a non-loopback bind without CURVE keys or an out-of-range number.
    public func validate(source: String = "config") throws {
        try validateBind(source: source)
        guard heartbeatIntervalMs >= 10 else { throw ConfigError(message: "\(source): heartbeat_interval_ms must be ≥ 10, got \(heartbeatIntervalMs)") }
        guard startupTimeoutMs >= 0, restartBackoffMs >= 0, restartBackoffMaxMs >= restartBackoffMs else {
            throw ConfigError(message: "\(source): startup_timeout_ms and restart_backoff_ms must be ≥ 0 and restart_backoff_max_ms ≥ restart_backoff_ms")
        }
        guard fenceMs >= 2 * heartbeatIntervalMs else {
            throw ConfigError(message: "\(source): fence_ms must be at least twice heartbeat_interval_ms, got \(fenceMs)")
        }
        guard heartbeatLiveness >= 1 else { throw ConfigError(message: "\(source): heartbeat_liveness must be ≥ 1, got \(heartbeatLiveness)") }
        guard maxFrameBytes >= 1024, Int64(maxFrameBytes) <= WireProtocol.hardMessageCapBytes else {
            throw ConfigError(message: "\(source): max_frame_bytes must be in 1024…\(WireProtocol.hardMessageCapBytes), got \(maxFrameBytes)")
        }
    }

    /// Refuses any endpoint but tcp://127.x.x.x, tcp://localhost, ipc:// and inproc://.
    public static func requireLoopback(_ endpoint: String) throws {
        if endpoint.hasPrefix("ipc://") || endpoint.hasPrefix("inproc://") { return }
        guard endpoint.hasPrefix("tcp://") else { throw ConfigError(message: "bind \(endpoint): only tcp://, ipc:// and inproc:// endpoints are supported") }
        let hostPort = endpoint.dropFirst("tcp://".count)
        let host = hostPort.split(separator: ":").first.map(String.init) ?? ""
        if host == "localhost" || host.hasPrefix("127.") { return }
        throw ConfigError(message: "bind \(endpoint): refusing a non-loopback address (\(host)) without CURVE keys; set curve_secret_key and authorized_keys (docs/protocol.md, Security)")
    }
}
