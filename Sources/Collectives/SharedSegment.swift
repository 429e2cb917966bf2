// Implements: SharedSegment, the node-local shared memory of the shared-memory ring
// (SharedRing.swift): one MPI_Win_allocate_shared window over the ranks of this node, allocated
// once per communicator, holding one outgoing channel per rank of the node: for the whole ring
// when every rank runs on this node, or for the hierarchy's phase inside each node.
//
// Layout of rank i's part of the window (page-aligned, all offsets in bytes):
//   0      produced: Int64, slices rank i has published into its slots (written by rank i only)
//   128    consumed: Int64, slices rank i has taken from its LEFT neighbour's slots (written by i only)
//   256    bell: Int32, rung by rank i's neighbours when they publish to or free a slot for it
//   320    sleeping: Int32, 1 while rank i sleeps on its bell (futex)
//   384    one 64-byte stamp per slot: the CallFingerprint words of the call that filled it, so
//          a neighbour in a different call is an error, not wrong data (checks on or off)
//   4096   slots × slotBytes: the slot ring; slice number q lives in slot q % slots
// Each counter sits on its own 128-byte line (Zen's adjacent-line prefetch pairs 64-byte lines),
// so a writer never invalidates the line its peer spins on for the other counter. The counters
// only grow, over all collectives of the communicator's life, so nothing is reset per call.
import CMPI
import CMPIShim
import CSharedMemory

/// The shared window and this rank's view of the channel counters.
final class SharedSegment {
    /// Bytes before the slots: the counters, the doorbell and the stamps, padded to a page.
    static let headerBytes = 4096
    static let consumedOffset = 128
    static let bellOffset = 256, sleepingOffset = 320
    static let stampOffset = 384, stampBytes = 64
    /// Most slots whose stamps fit before the slots.
    static let maxSlots = (headerBytes - stampOffset) / stampBytes

    /// The ranks of this node, in world-rank order (key = world rank).
    let nodeComm: MPI_Comm
    var window: MPI_Win?
    /// Number of slots per rank and the bytes each can hold.
    let slots: Int
    let slotBytes: Int
    /// Rank i's part of the window, for every rank i (same order as the world).
    let parts: [UnsafeMutableRawPointer]
    let rank: Int, size: Int

    /// Mirrors of this rank's own counters (the shared copies are written with release order).
    var produced: Int64 = 0
    var consumed: Int64 = 0
    /// Last values read of the right neighbour's `consumed` and the left neighbour's `produced`;
    /// re-read only when they would block, to keep the polled lines mostly unshared.
    var rightConsumed: Int64 = 0
    var leftProduced: Int64 = 0
    /// The fingerprint words of the call in progress (`CallFingerprint.encoded`), stamped on every slice.
    let call = UnsafeMutablePointer<Int64>.allocate(capacity: CallFingerprint.words)

    /// Allocates the window over the ranks of `world` that share this node: if all `size` do, or,
    /// with `anyNode`, whenever this node has more than one; else returns nil. `rank` and `size`
    /// of the segment are then the rank's place among its node's ranks (in world-rank order).
    ///
    /// Collective over `world`: every rank must call it at the same point (MPICommunicator.init).
    /// The corresponding MPI calls are `MPI_Comm_split_type(MPI_COMM_TYPE_SHARED)`,
    /// `MPI_Win_allocate_shared`, `MPI_Win_shared_query` and `MPI_Barrier`.
    /// - Throws: `CollectiveError.mpi` if a call fails.
    static func create(world: MPI_Comm, rank: Int, size: Int, slots: Int, slotBytes: Int, anyNode: Bool = false) throws -> SharedSegment? {
        precondition(slots >= 1 && slots <= maxSlots, "SharedSegment: \(slots) slots, stamps fit \(maxSlots)")
        var node: MPI_Comm? = CMPIShim_COMM_NULL()
        try mpiCheck(MPI_Comm_split_type(world, CMPIShim_COMM_TYPE_SHARED, Int32(rank), CMPIShim_INFO_NULL(), &node),
                     "MPI_Comm_split_type")
        var nodeSize: Int32 = 0, nodeRank: Int32 = 0
        try mpiCheck(MPI_Comm_size(node, &nodeSize), "MPI_Comm_size")
        try mpiCheck(MPI_Comm_rank(node, &nodeRank), "MPI_Comm_rank")
        // Without `anyNode` every rank sees the same answer: either one node holds all ranks, or
        // none does. With it, each node decides for itself, and the window is the node's alone.
        guard anyNode ? nodeSize > 1 : Int(nodeSize) == size else {
            try mpiCheck(MPI_Comm_free(&node), "MPI_Comm_free")
            return nil
        }
        let (rank, size) = (Int(nodeRank), Int(nodeSize))
        // A multiple of the page size, so every rank's part of the contiguous window is page-aligned.
        let bytes = (headerBytes + slots * slotBytes + 4095) / 4096 * 4096
        var mine: UnsafeMutableRawPointer? = nil
        var window: MPI_Win? = nil
        try mpiCheck(MPI_Win_allocate_shared(MPI_Aint(bytes), 1, CMPIShim_INFO_NULL(), node, &mine, &window),
                     "MPI_Win_allocate_shared")
        var parts: [UnsafeMutableRawPointer] = []
        for i in 0 ..< size {
            var partBytes: MPI_Aint = 0, unit: Int32 = 0
            var base: UnsafeMutableRawPointer? = nil
            try mpiCheck(MPI_Win_shared_query(window, Int32(i), &partBytes, &unit, &base), "MPI_Win_shared_query")
            guard let base, Int(partBytes) >= bytes else {
                throw CollectiveError.invalidArgument("MPI_Win_shared_query gave rank \(i) \(partBytes) bytes, want \(bytes)")
            }
            parts.append(base)
        }
        // Zero our own counters, then wait until everyone has, before anyone polls them.
        parts[rank].initializeMemory(as: UInt8.self, repeating: 0, count: headerBytes)
        try mpiCheck(MPI_Barrier(node), "MPI_Barrier")
        return SharedSegment(nodeComm: node!, window: window, slots: slots, slotBytes: slotBytes,
                             parts: parts, rank: rank, size: size)
    }

    private init(nodeComm: MPI_Comm, window: MPI_Win?, slots: Int, slotBytes: Int,
                 parts: [UnsafeMutableRawPointer], rank: Int, size: Int) {
        self.nodeComm = nodeComm; self.window = window; self.slots = slots; self.slotBytes = slotBytes
        self.parts = parts; self.rank = rank; self.size = size
        call.initialize(repeating: 0, count: CallFingerprint.words)
    }

    deinit { call.deallocate() }

    /// Records the call whose slices follow.
    func begin(_ fingerprint: CallFingerprint) {
        for (i, w) in fingerprint.encoded.enumerated() { call[i] = w }
    }

    /// Frees the window and the node communicator (collective over the node, like `create`).
    /// The corresponding MPI calls are `MPI_Win_free` and `MPI_Comm_free`.
    func free() throws {
        try mpiCheck(MPI_Win_free(&window), "MPI_Win_free")
        var node: MPI_Comm? = nodeComm
        try mpiCheck(MPI_Comm_free(&node), "MPI_Comm_free")
    }

    // MARK: counters and slots

    @inline(__always) func producedCounter(_ i: Int) -> UnsafeMutablePointer<Int64> {
        parts[i].assumingMemoryBound(to: Int64.self)
    }
    @inline(__always) func consumedCounter(_ i: Int) -> UnsafeMutablePointer<Int64> {
        (parts[i] + Self.consumedOffset).assumingMemoryBound(to: Int64.self)
    }
    /// The slot that holds slice number `q` of rank `i`'s channel.
    @inline(__always) func slot(_ i: Int, _ q: Int64) -> UnsafeMutablePointer<Float> {
        (parts[i] + Self.headerBytes + Int(q % Int64(slots)) * slotBytes).assumingMemoryBound(to: Float.self)
    }

    @inline(__always) func stamp(_ i: Int, _ q: Int64) -> UnsafeMutablePointer<Int64> {
        (parts[i] + Self.stampOffset + Int(q % Int64(slots)) * Self.stampBytes).assumingMemoryBound(to: Int64.self)
    }

    /// The fingerprint of the call that filled the left neighbour's next slice, if it is not ours.
    @inline(__always) func foreignCall(left: Int) -> CallFingerprint? {
        let theirs = stamp(left, consumed)
        for i in 0 ..< CallFingerprint.words where theirs[i] != call[i] {
            return CallFingerprint(encoded: UnsafeBufferPointer(start: theirs, count: CallFingerprint.words))
        }
        return nil
    }

    /// Publishes the next slice of this rank's channel (its bytes are already in `slot(rank, produced)`),
    /// and rings the right neighbour, who takes it.
    @inline(__always) func publish() {
        stamp(rank, produced).update(from: call, count: CallFingerprint.words)
        produced += 1
        CSharedMemory_store64(producedCounter(rank), produced)   // seq_cst: see `sleep`
        ring((rank + 1) % size)
    }

    /// Frees the left neighbour's slot just read, and rings the left neighbour, who may refill it.
    @inline(__always) func release() {
        consumed += 1
        CSharedMemory_store64(consumedCounter(rank), consumed)   // seq_cst: see `sleep`
        ring((rank + size - 1) % size)
    }

    // MARK: doorbells

    /// Rank i's doorbell, rung by its neighbours when they publish to or free a slot for it.
    @inline(__always) func doorbell(_ i: Int) -> Doorbell {
        Doorbell(parts[i], bellOffset: Self.bellOffset, sleepingOffset: Self.sleepingOffset)
    }

    /// Rings rank i's bell (a system call only when it sleeps).
    @inline(__always) func ring(_ i: Int) { doorbell(i).ring() }

    /// What this rank waits for, as one growing number: the left neighbour's `produced` plus the
    /// right neighbour's `consumed` (seq_cst loads; SpinThenSleep's handshake).
    var neighbourProgress: Int64 {
        CSharedMemory_load64(producedCounter((rank + size - 1) % size)) + CSharedMemory_load64(consumedCounter((rank + 1) % size))
    }

    /// Whether this rank may fill `slot(rank, produced)`: the right neighbour has freed it.
    @inline(__always) func canPublish(right: Int) -> Bool {
        if produced - rightConsumed < Int64(slots) { return true }
        rightConsumed = CSharedMemory_loadAcquire(consumedCounter(right))
        return produced - rightConsumed < Int64(slots)
    }

    /// Whether the left neighbour has published slice `consumed` (then `slot(left, consumed)` holds it).
    @inline(__always) func canTake(left: Int) -> Bool {
        if leftProduced > consumed { return true }
        leftProduced = CSharedMemory_loadAcquire(producedCounter(left))
        return leftProduced > consumed
    }
}
