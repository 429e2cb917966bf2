// Implements: MPICommunicator, one rank's Communicator over MPI: MPI start-up and shutdown, and
// the non-blocking request polling with a deadline that every operation uses (so a lost peer
// becomes CollectiveError.timeout, not a hang).
// Point-to-point messages and the barrier are in PointToPoint.swift, the ring collectives in
// Ring.swift and Broadcast.swift, the fingerprint check in Check.swift.
import CMPI
import CMPIShim
import Foundation

/// A `Communicator` over `MPI_COMM_WORLD`.
///
/// Not thread-safe: call it from one thread at a time (MPI runs at `MPI_THREAD_SERIALIZED`, so
/// that one thread may be a dedicated communication thread). Call `finalize()` before exit.
public final class MPICommunicator: Communicator {
    public let rank: Int
    public let size: Int
    /// Fingerprint checking, timeout and slice sizes; the same on every rank.
    public var settings: CollectiveSettings

    /// Point-to-point traffic (`send`, `recv`, `sendRecv`): a duplicate of MPI_COMM_WORLD, so user
    /// tags never match collective messages.
    let p2pComm: MPI_Comm
    /// Collective traffic, on its own duplicate of MPI_COMM_WORLD.
    let collComm: MPI_Comm
    /// Collectives called so far (the sequence number of the next one).
    var sequence = 0
    /// The collective or operation in progress, for timeout messages.
    var currentCall = "no call"
    /// The collective in progress (stamped on shared-memory slices).
    var currentFingerprint = CallFingerprint(.barrier, count: 0, sequence: -1)
    /// Set by the first error; every later call throws `.broken`.
    var failure: String?
    /// Whether `init` called `MPI_Init_thread` (then `finalize` calls `MPI_Finalize`).
    let ownsMPI: Bool
    var finalized = false
    /// More ranks than this machine has cores (assumes a single-node job; only decides yielding).
    let oversubscribed: Bool

    /// Receive slices of the reduce-scatter pipeline: `Ring.depth × sliceFloats` floats, reused.
    var scratch = UnsafeMutablePointer<Float>.allocate(capacity: 0)
    var scratchCapacity = 0
    /// Outstanding MPI requests of one step, reused.
    var requests = UnsafeMutablePointer<MPI_Request?>.allocate(capacity: 0)
    var requestCapacity = 0

    /// The shared-memory window of the ring when all ranks run on this node (SharedSegment.swift).
    var sharedSegment: SharedSegment?
    /// TCP links to the ring neighbours when the ranks span several nodes (SocketRing.swift), and
    /// the hierarchy's rings with several ranks per node (MPICommunicator+Hierarchy.swift).
    var socketRing: SocketRing?, nodeRing: SocketRing?, crossRing: SocketRing?
    /// The shared-memory window of the hierarchy's phase inside this node (its ranks only).
    var nodeSegment: SharedSegment?
    /// Nodes the ranks run on, and this rank's index among the ranks of its node.
    public private(set) var nodes = 1, localRank = 0

    /// Message tags on `collComm`.
    enum Tag { static let data: Int32 = 1; static let fingerprint: Int32 = 2; static let barrier: Int32 = 3; static let bytes: Int32 = 4 }

    /// Starts MPI (if needed) and wraps MPI_COMM_WORLD.
    ///
    /// Requests `MPI_THREAD_SERIALIZED` and sets `MPI_ERRORS_RETURN` on the world communicator so
    /// MPI errors become Swift errors instead of aborting.
    /// The corresponding MPI calls are `MPI_Init_thread`, `MPI_Comm_set_errhandler`, `MPI_Comm_dup`.
    /// - Parameter settings: Checks, timeout and slice sizes (default: from the environment).
    /// - Throws: `CollectiveError.threadLevel` if MPI cannot give SERIALIZED; `.mpi` for failed calls;
    ///   `.invalidArgument` for a bad environment variable.
    public init(settings: CollectiveSettings? = nil) throws {
        self.settings = try settings ?? CollectiveSettings.fromEnvironment()
        var initialized: Int32 = 0
        try mpiCheck(MPI_Initialized(&initialized), "MPI_Initialized")
        var provided: Int32 = 0
        if initialized == 0 {
            try mpiCheck(MPI_Init_thread(nil, nil, CMPIShim_THREAD_SERIALIZED, &provided), "MPI_Init_thread")
            ownsMPI = true
        } else {
            try mpiCheck(MPI_Query_thread(&provided), "MPI_Query_thread")
            ownsMPI = false
        }
        guard provided >= CMPIShim_THREAD_SERIALIZED else {
            throw CollectiveError.threadLevel(requested: CMPIShim_THREAD_SERIALIZED, provided: provided)
        }
        let world = CMPIShim_COMM_WORLD()
        try mpiCheck(MPI_Comm_set_errhandler(world, CMPIShim_ERRORS_RETURN()), "MPI_Comm_set_errhandler")
        var r: Int32 = 0, n: Int32 = 0
        try mpiCheck(MPI_Comm_rank(world, &r), "MPI_Comm_rank")
        try mpiCheck(MPI_Comm_size(world, &n), "MPI_Comm_size")
        rank = Int(r)
        size = Int(n)
        // Duplicates inherit the error handler.
        var a: MPI_Comm? = CMPIShim_COMM_NULL(), b: MPI_Comm? = CMPIShim_COMM_NULL()
        try mpiCheck(MPI_Comm_dup(world, &a), "MPI_Comm_dup")
        try mpiCheck(MPI_Comm_dup(world, &b), "MPI_Comm_dup")
        oversubscribed = size > ProcessInfo.processInfo.activeProcessorCount
        p2pComm = a!
        collComm = b!
        try Self.checkSettingsAgree(world: world!, rank: rank, size: size, settings: self.settings)
        // Collective over the world, like the duplicates above; sized once (slots × slice bytes).
        if size > 1 && self.settings.sharedMemory {
            sharedSegment = try SharedSegment.create(world: world!, rank: rank, size: size, slots: Self.sharedSlots,
                                                     slotBytes: Self.sharedSlotBytes(self.settings.sharedSliceBytes))
        }
        if size > 1 { (nodes, localRank, _) = try Self.topology(world: world!, rank: rank, size: size) }
        if size > 1 && sharedSegment == nil && self.settings.socketRing {
            let (flat, addresses) = try Self.makeSocketRing(world: world!, rank: rank, size: size, settings: self.settings,
                                                            environment: ProcessInfo.processInfo.environment)
            socketRing = flat
            if flat != nil { (nodeRing, crossRing) = try Self.makeHierarchy(world: world!, rank: rank, addresses: addresses, settings: self.settings) }
            // Every rank knows whether the hierarchy is on (from the same addresses), so all call this.
            if nodeRing != nil && self.settings.sharedMemory {
                nodeSegment = try SharedSegment.create(world: world!, rank: rank, size: size, slots: Self.sharedSlots,
                                                       slotBytes: Self.sharedSlotBytes(self.settings.sharedSliceBytes), anyNode: true)
            }
        }
        if let path = self.settings.algorithmTable, socketRing != nil {
            self.settings.directBelowBytes = try Self.loadAlgorithmTable(path: path, world: world!, rank: rank, size: size, nodes: nodes)
        }
    }

    /// Slots per rank of the shared-memory ring: 8 × 64 KB = 512 KB, half of Zen 4's L2, so a
    /// slot is still cached when it is refilled. 64 slots (4 MB, more slack for a descheduled
    /// neighbour) measured 9.2 vs 15.4 GB/s at 1 MB; 16 × 32 KB was level with 8 × 64 KB.
    static let sharedSlots = 8

    /// Slot size for a requested slice: whole 64-byte lines, at most 1 MB (64 MB of slots per rank).
    static func sharedSlotBytes(_ slice: Int) -> Int { min(1 << 20, (max(64, slice) + 63) / 64 * 64) }

    /// The segment, unless `settings.sharedMemory` was turned off after `init`.
    var sharedSegmentInUse: SharedSegment? { settings.sharedMemory ? sharedSegment : nil }

    /// The hierarchy's window inside this node, unless `settings.sharedMemory` was turned off after `init`.
    var nodeSegmentInUse: SharedSegment? { settings.sharedMemory ? nodeSegment : nil }

    /// Whether the ring collectives run over shared memory (all ranks on this node) instead of MPI messages.
    public var usesSharedMemory: Bool { sharedSegmentInUse != nil }

    deinit {
        scratch.deallocate()
        requests.deallocate()
    }

    /// Frees the communicators and shuts MPI down (if `init` started it). Safe to call twice.
    /// The corresponding MPI calls are `MPI_Comm_free` and `MPI_Finalize`.
    /// - Throws: `CollectiveError.mpi` if a call fails.
    public func finalize() throws {
        guard !finalized else { return }
        finalized = true
        try sharedSegment?.free()
        sharedSegment = nil
        try nodeSegment?.free()
        nodeSegment = nil
        var a: MPI_Comm? = p2pComm, b: MPI_Comm? = collComm
        try mpiCheck(MPI_Comm_free(&a), "MPI_Comm_free")
        try mpiCheck(MPI_Comm_free(&b), "MPI_Comm_free")
        if ownsMPI { try mpiCheck(MPI_Finalize(), "MPI_Finalize") }
    }

    // MARK: shared machinery

    /// Runs `body` unless an earlier error broke the communicator; records its error if it throws.
    func operation(_ name: @autoclosure () -> String, _ body: () throws -> Void) throws {
        if let failure { throw CollectiveError.broken(rank: rank, after: failure) }
        currentCall = name()
        do { try body() } catch {
            failure = "\(error)"
            throw error
        }
    }

    func checkPeer(_ peer: Int, _ what: String) throws {
        guard peer >= 0 && peer < size else {
            throw CollectiveError.invalidArgument("\(what) rank \(peer) is outside 0..<\(size)")
        }
    }

    func checkTag(_ tag: Int) throws {
        guard tag >= 0 && tag <= 32767 else { throw CollectiveError.invalidArgument("tag \(tag) is outside 0...32767") }
    }

    /// An element count as MPI's `int`; larger single messages are refused (collectives slice).
    func messageCount(_ n: Int) throws -> Int32 {
        guard n <= Int(Int32.max) else {
            throw CollectiveError.invalidArgument("a single message of \(n) floats exceeds MPI's int count")
        }
        return Int32(n)
    }

    /// Makes `requests` hold at least `n` entries.
    func ensureRequests(_ n: Int) throws {
        guard n > requestCapacity else { return }
        requests.deallocate()
        requestCapacity = max(n, 2 * requestCapacity)
        requests = .allocate(capacity: requestCapacity)
        requests.initialize(repeating: CMPIShim_REQUEST_NULL(), count: requestCapacity)
    }

    /// Makes `scratch` hold at least `n` floats.
    func ensureScratch(_ n: Int) {
        guard n > scratchCapacity else { return }
        scratch.deallocate()
        scratchCapacity = n
        scratch = .allocate(capacity: n)
    }

    /// Polls the `n` requests at `list` until all complete, or throws `.timeout` at the deadline.
    ///
    /// Polling (`MPI_Testall`) instead of `MPI_Waitall` is what turns a hang into an error. After
    /// 256 empty polls it yields the core on every poll when more ranks than cores share the
    /// machine (tests run 4 ranks on 2 cores); otherwise yielding hands the core to unrelated
    /// processes for a whole time slice and costs milliseconds. Across nodes (the socket ring)
    /// it sleeps `waitSleepMicroseconds` between polls after the first 256 instead: there MPI's
    /// TCP path answers in milliseconds, and the comm thread runs at a raised priority, so a
    /// spinning wait (the metrics' sums, a rank behind) took a core from backward on either node.
    func waitAll(_ list: UnsafeMutablePointer<MPI_Request?>, _ n: Int, waitingFor: @autoclosure () -> String) throws {
        var done: Int32 = 0
        try mpiCheck(MPI_Testall(Int32(n), list, &done, CMPIShim_STATUSES_IGNORE()), "MPI_Testall")
        if done != 0 { return }
        let start = monotonicSeconds()
        var polls = 0
        while true {
            try mpiCheck(MPI_Testall(Int32(n), list, &done, CMPIShim_STATUSES_IGNORE()), "MPI_Testall")
            if done != 0 { return }
            polls += 1
            if polls >= 256, usesSockets, Self.waitSleepMicroseconds > 0 { usleep(Self.waitSleepMicroseconds) }
            else if oversubscribed && polls >= 256 { sched_yield() }
            if polls & 255 == 0, let limit = settings.timeoutSeconds, monotonicSeconds() - start > limit {
                throw CollectiveError.timeout(rank: rank, call: currentCall, waitingFor: waitingFor(), seconds: limit)
            }
        }
    }
}

extension MPICommunicator {
    /// `COHORT_MPI_WAIT_SLEEP_US` (default 50; 0 spins as on one node): see `waitAll`.
    static let waitSleepMicroseconds = UInt32(ProcessInfo.processInfo.environment["COHORT_MPI_WAIT_SLEEP_US"] ?? "") ?? 50
}

/// Seconds on the monotonic clock.
@inline(__always)
func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}
