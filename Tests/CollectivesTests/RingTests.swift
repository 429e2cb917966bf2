// Tests the ring collectives (Ring.swift, Broadcast.swift) and point-to-point messages in real
// processes: 2, 3 and 4 ranks under mpirun, every collective against a plain serial sum, for
// awkward lengths (0, 1, < N, primes, large non-divisible), tiny slices and default slices,
// sub-range views, and bitwise identical results across ranks and runs; the zero-copy reductions
// over node-shared regions (PeerBuffers) against the ring, bit for bit.
import Collectives
import Foundation
import MPITestSupport
import XCTest

final class RingTests: XCTestCase {
    func testCollectivesOn2Ranks() throws { try runRanks(2) }
    func testCollectivesOn3Ranks() throws { try runRanks(3) }
    func testCollectivesOn4Ranks() throws { try runRanks(4) }
    // The MPI point-to-point ring (the path across nodes), forced on one node.
    func testCollectivesOverMPIMessagesOn2Ranks() throws { try runRanks(2, environment: ["COHORT_SHARED_MEMORY": "0"]) }
    func testCollectivesOverMPIMessagesOn3Ranks() throws { try runRanks(3, environment: ["COHORT_SHARED_MEMORY": "0"]) }

    /// Runs the calling test in `n` ranks, each doing `rankSide()`, and expects every rank OK.
    func runRanks(_ n: Int, environment: [String: String] = [:], function: String = #function) throws {
        guard let outcome = try MPIRun.onRanks(n, module: "CollectivesTests", type: Self.self, function: function,
                                               environment: environment, side: { try Self.rankSide() }) else { return }
        XCTAssertFalse(outcome.timedOut, "mpirun -np \(n) still running at the limit: a hang")
        XCTAssertEqual(outcome.status, 0, outcome.output)
        for r in 0 ..< n { XCTAssertTrue(outcome.output.contains("RANK \(r) OK"), outcome.output) }
    }

    /// Rank r's input element i: small integers, so every sum is exact in Float.
    static func value(_ rank: Int, _ i: Int, _ salt: Int) -> Float { Float((i &* 31 &+ rank &* 17 &+ salt) % 23 - 11) }

    /// The rank-side half, run by each rank under mpirun (not a test of its own).
    static func rankSide() throws {
        var settings = try CollectiveSettings.fromEnvironment()   // COHORT_SHARED_MEMORY picks the path
        settings.checkCollectives = true
        settings.timeoutSeconds = 60
        let comm = try MPICommunicator(settings: settings)
        let n = comm.size, me = comm.rank
        // All ranks of a test run on this machine, so shared memory is used unless turned off.
        if comm.usesSharedMemory != settings.sharedMemory {
            MPIRun.fail(me, "usesSharedMemory is \(comm.usesSharedMemory) with sharedMemory \(settings.sharedMemory)")
        }
        var cases = 0
        func expectEqual(_ got: UnsafeMutableBufferPointer<Float>, _ range: Range<Int>, _ want: (Int) -> Float, _ what: String) {
            for i in range where got[i].bitPattern != want(i).bitPattern {
                MPIRun.fail(me, "\(what): element \(i) is \(got[i]), want \(want(i))")
            }
            cases += 1
        }
        let small = [0, 1, 2, 3, n - 1, n, n + 1, 5, 7, 13, 97, 1009]
        let configs: [(slice: Int, gather: Int, shared: Int, counts: [Int])] = [
            (64, 128, 64, small + [4099]),                  // many slices per step; shared slots wrap around
            (CollectiveSettings.defaultSliceBytes, CollectiveSettings.defaultGatherSliceBytes,
             CollectiveSettings.defaultSharedSliceBytes, small + [65537, 1_000_003]),
        ]
        for config in configs {
            comm.settings.sliceBytes = config.slice
            comm.settings.gatherSliceBytes = config.gather
            comm.settings.sharedSliceBytes = config.shared
            for count in config.counts {
                let tag = "slice \(config.slice) B, count \(count), \(n) ranks"
                let buf = UnsafeMutableBufferPointer<Float>.allocate(capacity: count + 2)
                defer { buf.deallocate() }
                let body = UnsafeMutableBufferPointer(rebasing: buf[1 ..< count + 1])   // a view with guards on both sides
                func fill(_ salt: Int) {
                    buf[0] = 1234; buf[count + 1] = 5678
                    for i in 0 ..< count { body[i] = Self.value(me, i, salt) }
                }
                func serialSum(_ i: Int, _ salt: Int) -> Float { (0 ..< n).reduce(Float(0)) { $0 + Self.value($1, i, salt) } }
                func guardsIntact(_ what: String) {
                    if buf[0] != 1234 || buf[count + 1] != 5678 { MPIRun.fail(me, "\(what) wrote outside its view (\(tag))") }
                }
                let own = ShardLayout.chunk(me, count: count, ranks: n)

                fill(1); try comm.allReduce(body, op: .sum)
                expectEqual(body, 0 ..< count, { serialSum($0, 1) }, "allReduce(sum) \(tag)"); guardsIntact("allReduce")
                fill(2); try comm.allReduce(body, op: .mean)
                expectEqual(body, 0 ..< count, { serialSum($0, 2) / Float(n) }, "allReduce(mean) \(tag)")
                fill(3); try comm.reduceScatter(body, op: .sum)
                expectEqual(body, own, { serialSum($0, 3) }, "reduceScatter(sum) \(tag)"); guardsIntact("reduceScatter")
                fill(4); try comm.reduceScatter(body, op: .mean)
                expectEqual(body, own, { serialSum($0, 4) / Float(n) }, "reduceScatter(mean) \(tag)")
                // allGather: each rank's own shard holds rank-specific values, the rest garbage.
                for i in 0 ..< count { body[i] = .nan }
                for i in own { body[i] = Float(i) * 0.5 }
                try comm.allGather(body)
                expectEqual(body, 0 ..< count, { Float($0) * 0.5 }, "allGather \(tag)"); guardsIntact("allGather")
                let root = count % n
                fill(5); try comm.broadcast(body, root: root)
                expectEqual(body, 0 ..< count, { Self.value(root, $0, 5) }, "broadcast from \(root) \(tag)"); guardsIntact("broadcast")
            }
        }
        try checkDeterminism(comm)
        try checkPeerBuffers(comm, expected: settings.sharedMemory)
        try checkPointToPoint(comm)
        try comm.barrier()
        print("RANK \(me) OK \(cases) checks")
        fflush(stdout)
        try comm.finalize()
    }

    /// Non-integer inputs: close to the serial sum, bitwise equal on all ranks and in a second run.
    static func checkDeterminism(_ comm: MPICommunicator) throws {
        let n = comm.size, me = comm.rank, count = 100_003
        func input(_ r: Int, _ i: Int) -> Float { Float(sin(Double(i &* 131 &+ r &* 7919) * 0.001)) * 1000 }
        var first = (0 ..< count).map { input(me, $0) }, second = first
        try first.withUnsafeMutableBufferPointer { try comm.allReduce($0) }
        try second.withUnsafeMutableBufferPointer { try comm.allReduce($0) }
        for i in 0 ..< count {
            if first[i].bitPattern != second[i].bitPattern { MPIRun.fail(me, "two runs differ at \(i): \(first[i]) vs \(second[i])") }
            let exact = (0 ..< n).reduce(0.0) { $0 + Double(input($1, i)) }
            if abs(Double(first[i]) - exact) > 1e-3 * max(1, abs(exact)) { MPIRun.fail(me, "sum at \(i) is \(first[i]), serial \(exact)") }
        }
        // Bitwise equal across ranks: everyone sends its result to rank 0.
        if me == 0 {
            var other = [Float](repeating: 0, count: count)
            for r in 1 ..< n {
                try other.withUnsafeMutableBufferPointer { try comm.recv($0, from: r, tag: 9) }
                if let i = (0 ..< count).first(where: { other[$0].bitPattern != first[$0].bitPattern }) {
                    MPIRun.fail(me, "rank \(r)'s allReduce differs from rank 0's at \(i): \(other[i]) vs \(first[i])")
                }
            }
        } else {
            try first.withUnsafeBufferPointer { try comm.send($0, to: 0, tag: 9) }
        }
    }

    /// Zero-copy reductions over node-shared regions give the ring's bits: reduceScatter (sum and
    /// mean) equals the ring's reduceScatter on this rank's chunk, reduceScatter + allGather and allReduce of a
    /// range (and of whole regions) equal allReduce, for awkward lengths at odd offsets, and nothing outside the
    /// range is touched.
    static func checkPeerBuffers(_ comm: MPICommunicator, expected: Bool) throws {
        let n = comm.size, me = comm.rank, capacity = 200_003
        guard let peers = try NodeMemory(comm: comm).peerBuffers(count: capacity) else {
            if expected { MPIRun.fail(me, "peerBuffers is nil with every rank on this node") }
            return
        }
        if !expected { MPIRun.fail(me, "peerBuffers exists without shared memory") }
        try checkHugePages(comm)
        func input(_ r: Int, _ i: Int, _ salt: Int) -> Float { Float(sin(Double(i &* 131 &+ r &* 7919 &+ salt) * 0.001)) * 1000 }
        let region = UnsafeMutableBufferPointer(start: peers.mine, count: capacity)
        var last: Int64 = 0
        for (k, count) in [0, 1, n - 1, n + 1, 7, 97, 4099, 65537, 100_003].enumerated() {
            for op in [ReduceOp.sum, .mean] {
                let offset = 3 + k   // odd offsets: no alignment assumed
                let range = offset ..< offset + count, salt = count * 2 + (op == .sum ? 0 : 1)
                try peers.waitUntilRead(last, gathered: true)   // the peers are done with this region
                for i in 0 ..< capacity { region[i] = range.contains(i) ? input(me, i - offset, salt) : -7 }
                var ring = (0 ..< count).map { input(me, $0, salt) }, scattered = ring
                try scattered.withUnsafeMutableBufferPointer { try comm.reduceScatter($0, op: op) }
                try ring.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: op) }
                let call = try peers.reduceScatter(range, op: op)
                let own = ShardLayout.chunk(me, count: count, ranks: n)
                if let i = own.first(where: { region[offset + $0].bitPattern != scattered[$0].bitPattern }) {
                    MPIRun.fail(me, "peer reduceScatter(\(op)) of \(count) at \(i): \(region[offset + i]), ring \(scattered[i])")
                }
                try peers.allGather(range, call: call)
                last = call
                if let i = (0 ..< count).first(where: { region[offset + $0].bitPattern != ring[$0].bitPattern }) {
                    MPIRun.fail(me, "peer allGather(\(op)) of \(count) at \(i): \(region[offset + i]), allReduce \(ring[i])")
                }
                if let i = (0 ..< capacity).first(where: { !range.contains($0) && region[$0] != -7 }) {
                    MPIRun.fail(me, "peer reduction of \(range) wrote element \(i)")
                }
                // allReduce of the range (each rank writes its chunk into every region) gives the same bits.
                try peers.waitUntilRead(last, gathered: true)
                for i in 0 ..< capacity { region[i] = range.contains(i) ? input(me, i - offset, salt) : -7 }
                last = try peers.allReduce(range, op: op)
                if let i = (0 ..< count).first(where: { region[offset + $0].bitPattern != ring[$0].bitPattern }) {
                    MPIRun.fail(me, "peer allReduce(\(op)) of \(count) at \(i): \(region[offset + i]), ring allReduce \(ring[i])")
                }
                if let i = (0 ..< capacity).first(where: { !range.contains($0) && region[$0] != -7 }) {
                    MPIRun.fail(me, "peer allReduce of \(range) wrote element \(i)")
                }
            }
        }
        // allReduce of whole regions equals the ring's, back to back with no other call between:
        // on return every peer has read this region, so it may be rewritten at once.
        let salts = [5, 6], want = try salts.map { salt in
            var ring = (0 ..< capacity).map { input(me, $0, salt) }
            try ring.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: salt == 5 ? .sum : .mean) }
            return ring
        }
        try peers.waitUntilRead(last, gathered: true)
        for (k, salt) in salts.enumerated() {
            for i in 0 ..< capacity { region[i] = input(me, i, salt) }
            try peers.allReduce(op: salt == 5 ? .sum : .mean)
            if let i = (0 ..< capacity).first(where: { region[$0].bitPattern != want[k][$0].bitPattern }) {
                MPIRun.fail(me, "peer allReduce (salt \(salt)) at \(i): \(region[i]), ring \(want[k][i])")
            }
        }
    }

    /// Node-shared memory sits at a 2 MB boundary and, where the kernel collapses shmem (Linux
    /// 6.1+, shmem_enabled not "deny"), on huge pages in EVERY rank's page tables, not just its
    /// creator's: /proc/self/smaps counts them as ShmemPmdMapped.
    static func checkHugePages(_ comm: MPICommunicator) throws {
        let me = comm.rank, count = 3_000_001   // 12 MB: not a whole number of huge pages
        guard let mapping = try NodeMemory(comm: comm).mapping(count: count) else { MPIRun.fail(me, "mapping is nil") }
        let start = Int(bitPattern: mapping.pointer)
        if start % (2 << 20) != 0 { MPIRun.fail(me, "node-shared mapping at \(String(start, radix: 16)) is not 2 MB-aligned") }
        let release = (try? String(contentsOfFile: "/proc/sys/kernel/osrelease", encoding: .utf8)) ?? ""
        let version = release.split(separator: ".").prefix(2).compactMap { Int($0) }
        let policy = (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/shmem_enabled", encoding: .utf8)) ?? "[deny]"
        guard version.count == 2, (version[0], version[1]) >= (6, 1), !policy.contains("[deny]") else { return }
        var sum: Float = 0   // fault every page in: smaps counts only pages this process has mapped
        for i in stride(from: 0, to: count, by: 1024) { sum += mapping.pointer[i] }
        if sum != 0 { MPIRun.fail(me, "a new node-shared mapping is not zero") }
        // procfs files report size 0: read to the end instead of by size.
        let smaps = FileHandle(forReadingAtPath: "/proc/self/smaps").map { String(decoding: $0.readDataToEndOfFile(), as: UTF8.self) } ?? ""
        let lines = smaps.split(separator: "\n")
        guard let head = lines.firstIndex(where: { $0.hasPrefix(String(start, radix: 16) + "-") }),
              let pmd = lines[(head + 1)...].prefix(30).first(where: { $0.hasPrefix("ShmemPmdMapped:") }),
              let kb = Int(pmd.split(separator: " ")[1]) else { MPIRun.fail(me, "no smaps entry for the node-shared mapping") }
        if kb < count * 4 / 1024 { MPIRun.fail(me, "node-shared mapping of \(count * 4 / 1024) kB has \(kb) kB on huge pages") }
    }

    /// sendRecv around the ring, and a bad peer throws instead of reaching MPI.
    static func checkPointToPoint(_ comm: MPICommunicator) throws {
        let n = comm.size, me = comm.rank
        var out = [Float(me), Float(me) + 0.5], got = [Float](repeating: -1, count: 2)
        try out.withUnsafeBufferPointer { o in
            try got.withUnsafeMutableBufferPointer { g in
                try comm.sendRecv(o, to: (me + 1) % n, g, from: (me + n - 1) % n, tag: 3)
            }
        }
        let left = Float((me + n - 1) % n)
        if got != [left, left + 0.5] { MPIRun.fail(me, "sendRecv got \(got), want \([left, left + 0.5])") }
        out = [0]
        do {
            try out.withUnsafeBufferPointer { try comm.send($0, to: n + 5, tag: 0) }
            MPIRun.fail(me, "send to rank \(n + 5) did not throw")
        } catch let e as CollectiveError {
            guard case .invalidArgument = e, "\(e)".contains("rank \(n + 5)") else { MPIRun.fail(me, "send to a bad rank threw \(e)") }
        }
    }
}
