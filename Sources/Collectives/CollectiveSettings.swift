// Implements: CollectiveSettings, the knobs of the collectives (fingerprint checks, timeout,
// slice sizes, shared memory) and how they are read from the environment.
import Foundation

/// Tunables of an `MPICommunicator`; every rank of a job must use the same values.
public struct CollectiveSettings: Equatable, Sendable {
    /// Exchange a fingerprint (op, length, dtype, root, sequence number) before each collective.
    /// Costs one small message round per call. Default: on in debug builds, off in release.
    public var checkCollectives: Bool
    /// Seconds any wait may take before it throws `CollectiveError.timeout`; nil waits forever.
    public var timeoutSeconds: Double?
    /// Bytes per pipelined slice of a reduce-scatter step (see Ring.swift for the measurement).
    public var sliceBytes: Int
    /// Bytes per message of an allgather or broadcast step.
    public var gatherSliceBytes: Int
    /// Run the ring over shared memory when all ranks share one node (read by `MPICommunicator.init`;
    /// turning it off later falls back to MPI messages, turning it on later has no effect).
    public var sharedMemory: Bool
    /// Allow `NodeMemory`'s mappings and peer buffers when all ranks share this node: data-parallel
    /// ranks then reduce gradients in place (zero-copy) and, at ZeRO stages 1 and 2, hold one copy
    /// of the parameters instead of one each. Off: private buffers and the shared-memory ring.
    public var nodeShared = true
    /// Run the ring over Cohort's own TCP links between nodes (SocketRing.swift) when the ranks
    /// span several nodes; off: MPI's messages. `socketRingOnOneNode` also uses them when all
    /// ranks share a node but shared memory is off (tests of the socket path on one machine).
    public var socketRing = true
    public var socketRingOnOneNode = false
    /// The socket ring's tuning table (COHORT_ALGORITHM_TABLE, AlgorithmTable.swift), read by
    /// `MPICommunicator.init` into `directBelowBytes`: allreduces of fewer bytes take the direct
    /// schedule (SocketRing+Direct.swift), larger ones the ring. Without a table: the ring always.
    public var algorithmTable: String?
    /// With several ranks on each of several nodes, reduce hierarchically (node, then between
    /// nodes, then node; MPICommunicator+Hierarchy.swift); off: one flat ring (COHORT_HIERARCHICAL).
    public var hierarchical = true
    public var directBelowBytes = 0
    /// Bytes per slice of the shared-memory ring. `init` sizes the slots from it; a larger value
    /// set later is clamped to the slot size.
    public var sharedSliceBytes: Int

    /// Default check setting: on in debug builds, off in release.
    public static var checkByDefault: Bool {
        #if DEBUG
        return true
        #else
        return false
        #endif
    }
    /// Default timeout in seconds: long enough for any honest collective on a slow machine.
    public static let defaultTimeoutSeconds: Double = 300
    /// Default slice: 512 KB (chosen by `cohort bench allreduce --slice-bytes`, see docs/collectives.md).
    public static let defaultSliceBytes = 512 << 10
    /// Default allgather/broadcast message size: 1 MB (single 2 MB CMA messages measured up to
    /// 5x slower than 1 MB ones at a 4 MB allreduce on 2 ranks; see docs/collectives.md).
    public static let defaultGatherSliceBytes = 1 << 20
    /// Default shared-memory slice: 64 KB (measured with `cohort bench allreduce`, docs/collectives.md).
    public static let defaultSharedSliceBytes = 64 << 10

    /// Seconds a wait spins before it naps between polls. A rank whose communication thread shares
    /// its core with the compute thread (training) wants this short: every spinning microsecond
    /// is taken from backward. Default 50 µs (the benchmarks' figure, docs/collectives.md).
    public var spinSeconds: Double = 50e-6

    /// Creates settings; the defaults are the build defaults.
    public init(checkCollectives: Bool = CollectiveSettings.checkByDefault,
                timeoutSeconds: Double? = CollectiveSettings.defaultTimeoutSeconds,
                sliceBytes: Int = CollectiveSettings.defaultSliceBytes,
                gatherSliceBytes: Int = CollectiveSettings.defaultGatherSliceBytes,
                sharedMemory: Bool = true,
                sharedSliceBytes: Int = CollectiveSettings.defaultSharedSliceBytes) {
        self.checkCollectives = checkCollectives
        self.timeoutSeconds = timeoutSeconds
        self.sliceBytes = sliceBytes
        self.gatherSliceBytes = gatherSliceBytes
        self.sharedMemory = sharedMemory
        self.sharedSliceBytes = sharedSliceBytes
    }

    /// The defaults, overridden by COHORT_CHECK_COLLECTIVES (0/1), COHORT_COLLECTIVE_TIMEOUT
    /// (seconds; 0 = none), COHORT_RING_SLICE_BYTES, COHORT_GATHER_SLICE_BYTES,
    /// COHORT_SHARED_MEMORY (0/1), COHORT_NODE_SHARED (0/1), COHORT_HIERARCHICAL (0/1), COHORT_SHARED_SLICE_BYTES,
    /// COHORT_SOCKET_RING (0, 1 or always), COHORT_SPIN_US and COHORT_ALGORITHM_TABLE (a path).
    ///
    /// - Parameter environment: The process environment (a parameter so tests can pass their own).
    /// - Returns: The settings.
    /// - Throws: `CollectiveError.invalidArgument` naming the variable and its bad value.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> CollectiveSettings {
        var s = CollectiveSettings()
        for (name, keyPath) in [("COHORT_CHECK_COLLECTIVES", \CollectiveSettings.checkCollectives),
                                ("COHORT_SHARED_MEMORY", \CollectiveSettings.sharedMemory),
                                ("COHORT_NODE_SHARED", \CollectiveSettings.nodeShared),
                                ("COHORT_HIERARCHICAL", \CollectiveSettings.hierarchical)] {
            if let v = environment[name] {
                switch v.lowercased() {
                case "1", "true", "yes", "on": s[keyPath: keyPath] = true
                case "0", "false", "no", "off", "": s[keyPath: keyPath] = false
                default: throw CollectiveError.invalidArgument("\(name) must be 0 or 1, got '\(v)'")
                }
            }
        }
        if let v = environment["COHORT_SOCKET_RING"] {
            switch v.lowercased() {
            case "1", "true", "yes", "on": s.socketRing = true
            case "0", "false", "no", "off": s.socketRing = false
            case "always": (s.socketRing, s.socketRingOnOneNode) = (true, true)
            default: throw CollectiveError.invalidArgument("COHORT_SOCKET_RING must be 0, 1 or always, got '\(v)'")
            }
        }
        if let v = environment["COHORT_ALGORITHM_TABLE"], !v.isEmpty { s.algorithmTable = v }
        if let v = environment["COHORT_SPIN_US"] {
            guard let us = Double(v), us >= 0, us <= 1e6 else {
                throw CollectiveError.invalidArgument("COHORT_SPIN_US must be microseconds in 0 ... 1e6, got '\(v)'")
            }
            s.spinSeconds = us * 1e-6
        }
        if let v = environment["COHORT_COLLECTIVE_TIMEOUT"] {
            guard let t = Double(v), t >= 0, t.isFinite else {
                throw CollectiveError.invalidArgument("COHORT_COLLECTIVE_TIMEOUT must be seconds >= 0, got '\(v)'")
            }
            s.timeoutSeconds = t == 0 ? nil : t
        }
        for (name, keyPath) in [("COHORT_RING_SLICE_BYTES", \CollectiveSettings.sliceBytes),
                                ("COHORT_GATHER_SLICE_BYTES", \CollectiveSettings.gatherSliceBytes),
                                ("COHORT_SHARED_SLICE_BYTES", \CollectiveSettings.sharedSliceBytes)] {
            if let v = environment[name] {
                guard let b = Int(v), b >= 4, b <= 1 << 30 else {
                    throw CollectiveError.invalidArgument("\(name) must be bytes in 4 ... 2^30, got '\(v)'")
                }
                s[keyPath: keyPath] = b
            }
        }
        return s
    }
}
