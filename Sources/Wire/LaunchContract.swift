// Implements: LaunchContract, everything the coordinator hands to the ranks it launches, named
// once: the environment variables (exported to every rank with `mpirun -x`), the arguments of
// `cohort train`, and the reading of both on the rank's side and, through /proc, by agents and
// the coordinator (which find an attempt's processes by these variables).
import Foundation

public struct LaunchContract: Sendable, Equatable {
    /// The job's id (a canonical job id).
    public static let jobIDVariable = "COHORT_JOB_ID"
    /// The coordinator's endpoint, where the rank reports.
    public static let coordinatorVariable = "COHORT_COORDINATOR"
    /// The attempt (its row id in the coordinator's store) every report carries: the fencing token.
    public static let attemptVariable = "COHORT_ATTEMPT"
    /// The heartbeat interval in milliseconds.
    public static let heartbeatVariable = "COHORT_HEARTBEAT_MS"
    /// How long a rank without replies lives on, in milliseconds.
    public static let fenceVariable = "COHORT_FENCE_MS"
    /// With CURVE: the rank's key pair file and the coordinator's public key file (CurveClientKeys).
    public static let keyVariable = CurveClientKeys.keyVariable
    public static let serverKeyVariable = CurveClientKeys.serverKeyVariable
    /// A rank's exit status for a configuration it refuses (spec, data, init_from): sysexits.h's
    /// EX_CONFIG. The coordinator ends the job FAILED with the rank's `error:` line, no restart.
    public static let configErrorExitStatus: Int32 = 78
    /// mpirun's own: the rank's index in the world.
    public static let rankVariable = "OMPI_COMM_WORLD_RANK"

    /// Every variable of the contract, in the order they are exported (the keys only with CURVE).
    public static let variables = [jobIDVariable, coordinatorVariable, attemptVariable, heartbeatVariable, fenceVariable]

    /// The collective settings every rank of a job must run with alike (slice sizes, shared-memory
    /// and socket switches, checks, spin, timeout): a launcher forwards each one that is set with
    /// `mpirun -x`. The same names as Collectives' `CollectiveSettings.environmentNames`, which the
    /// control plane does not import (LaunchScriptTests compares the two through `cohort`). One name
    /// a line, in that list's order.
    public static let collectiveVariables = [
        "COHORT_CHECK_COLLECTIVES",
        "COHORT_COLLECTIVE_TIMEOUT",
        "COHORT_RING_SLICE_BYTES",
        "COHORT_GATHER_SLICE_BYTES",
        "COHORT_SHARED_MEMORY",
        "COHORT_NODE_SHARED",
        "COHORT_SHARED_SLICE_BYTES",
        "COHORT_SPIN_US",
        "COHORT_SOCKET_RING",
        "COHORT_HIERARCHICAL",
        "COHORT_ALGORITHM_TABLE",
    ]

    public var job: String
    public var coordinator: String
    public var attempt: Int
    public var heartbeatMs: Int
    public var fenceMs: Int

    public init(job: String, coordinator: String, attempt: Int, heartbeatMs: Int = WireProtocol.heartbeatIntervalMs,
                fenceMs: Int = WireProtocol.trainerFenceMs) {
        self.job = job; self.coordinator = coordinator; self.attempt = attempt; self.heartbeatMs = heartbeatMs; self.fenceMs = fenceMs
    }

    /// The variables a rank gets.
    public var environment: [String: String] {
        [Self.jobIDVariable: job, Self.coordinatorVariable: coordinator, Self.attemptVariable: "\(attempt)",
         Self.heartbeatVariable: "\(heartbeatMs)", Self.fenceVariable: "\(fenceMs)"]
    }

    /// The contract a rank was started with; nil unless the job, coordinator and attempt are set.
    /// Interval and fence fall back to the protocol's defaults when absent or not numbers.
    public init?(environment env: [String: String]) {
        guard let job = env[Self.jobIDVariable], let ep = env[Self.coordinatorVariable],
              let attempt = env[Self.attemptVariable].flatMap(Int.init) else { return nil }
        self.init(job: job, coordinator: ep, attempt: attempt,
                  heartbeatMs: env[Self.heartbeatVariable].flatMap(Int.init) ?? WireProtocol.heartbeatIntervalMs,
                  fenceMs: env[Self.fenceVariable].flatMap(Int.init) ?? WireProtocol.trainerFenceMs)
    }

    /// The arguments of `cohort train` for a rank of this contract: the job, the coordinator, where
    /// to checkpoint and resume from, and the spec file, always last (worker programs find it there).
    public func trainArguments(checkpointDir: String, spec: String, progressBar: Bool) -> [String] {
        ["train", "--job", job, "--coordinator", coordinator, "--checkpoint-dir", checkpointDir, "--resume", "auto"]
            + (progressBar ? ["--bar"] : []) + [spec]
    }

    /// The environment of process `pid` (from /proc/PID/environ), or nil if it cannot be read.
    public static func environment(ofProcess pid: Int32) -> [String: String]? {
        guard let fh = FileHandle(forReadingAtPath: "/proc/\(pid)/environ") else { return nil }
        defer { try? fh.close() }
        // /proc files report size 0: read to the end, not by size.
        guard let data = try? fh.readToEnd() else { return nil }
        var out: [String: String] = [:]
        for kv in data.split(separator: 0) {
            let s = String(decoding: kv, as: UTF8.self)
            if let eq = s.firstIndex(of: "=") { out[String(s[..<eq])] = String(s[s.index(after: eq)...]) }
        }
        return out
    }
}
