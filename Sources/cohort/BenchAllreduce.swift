// Implements: `cohort bench allreduce`: Cohort's ring allreduce against the MPI library's
// MPI_Allreduce, same process, same buffers, interleaved iterations, after checking that the
// ring's result equals MPI's. Run under `mpirun -np N`; only rank 0 prints.
//   busbw (GB/s) = bytes · 2(N−1)/N ÷ median seconds ÷ 1e9   (nccl-tests' bus bandwidth: a
//   ring moves 2(N−1)/N × bytes in and out of every rank)
import ArgumentParser
import Collectives
import Foundation
import Wire

/// A benchmark that measured something wrong.
enum BenchError: Error, CustomStringConvertible {
    case wrongResult(bytes: Int, index: Int, ring: Float, reference: Float)
    case needsRanks(got: Int)
    var description: String {
        switch self {
        case .needsRanks(let got):
            return "bench allreduce needs at least 2 ranks, got \(got); run it as mpirun -np 2 cohort bench allreduce"
        case .wrongResult(let bytes, let index, let ring, let reference):
            return "ring allreduce of \(bytes) bytes is wrong at element \(index): ring \(ring), MPI_Allreduce \(reference)"
        }
    }
}

struct BenchAllreduce: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "allreduce", abstract: "Time ring allreduce against MPI_Allreduce under mpirun.")

    @Option(parsing: .upToNextOption, help: "Buffer sizes in bytes (multiples of 4; K/M suffixes allowed). Default: powers of 2 from 4K to 64M.")
    var bytes: [String] = []
    @Option(help: "Reduce-scatter slice in bytes (default: the library default or COHORT_RING_SLICE_BYTES).") var sliceBytes: Int?
    @Option(help: "Allgather message size in bytes.") var gatherSliceBytes: Int?
    @Option(help: "Shared-memory ring slice in bytes (default: the library default or COHORT_SHARED_SLICE_BYTES).") var sharedSliceBytes: Int?
    @Option(help: "Minimum timed iterations per size and implementation (after 3 warm-up ones).") var iterations = 25
    @Option(help: "What the ring sends between nodes: fp32, bf16 or fp16 (one node: always fp32).") var dtype = "fp32"
    @Option(help: "Run across this many network-namespace nodes made for the run, one rank each (root; instead of mpirun).") var nodes: Int?
    @Option(help: "With --nodes: shape every node's link to this rate (tc tbf, e.g. 1gbit).") var linkRate: String?
    @Flag(help: "Time the socket ring's direct and ring schedules by size and write the table jobs read (COHORT_ALGORITHM_TABLE).") var tune = false
    @Option(help: "With --tune: the table file to write.") var table = "allreduce-table.json"
    @Option(help: "Buffers both implementations run on: private (the process's own memory), node-shared (every rank maps them; the ring reads the peers' in place, as training's gradients) or both.") var buffers = "both"
    @Flag(help: "Time a read of the whole result after each call too (as an optimizer step reads the gradients): counts where the reduction left the result's cache lines.") var readResult = false
    @Option(help: "Write one allreduce's result of non-integer inputs (the first size) to PATH.rankR on every rank.") var dumpResult: String?
    @Option(help: "--tune, writing to this file: the spelling for ranks under mpirun, which reads --tune as its own option.") var tuneInto: String?

    /// Parsed `--bytes`.
    var sizes: [Int] {
        get throws {
            if bytes.isEmpty { return (12 ... 26).map { 1 << $0 } }
            return try bytes.flatMap { $0.split(separator: ",") }.map { text in
                var digits = text.uppercased(), scale = 1
                if digits.hasSuffix("K") { scale = 1 << 10; digits.removeLast() }
                else if digits.hasSuffix("M") { scale = 1 << 20; digits.removeLast() }
                guard let v = Int(digits), v > 0, v % 4 == 0 || scale > 1, v <= (1 << 31) / scale else {
                    throw ValidationError("--bytes must be positive multiples of 4 up to 2G, got '\(text)'")
                }
                return v * scale
            }
        }
    }

    func validate() throws {
        _ = try sizes
        guard WireFormat(rawValue: dtype) != nil else { throw ValidationError("--dtype must be fp32, bf16 or fp16, got '\(dtype)'") }
        if let nodes, nodes < 2 || nodes > 16 { throw ValidationError("--nodes must be in 2 ... 16, got \(nodes)") }
        if let linkRate, nodes == nil || linkRate.range(of: #"^[0-9]+(\.[0-9]+)?[kmg]?(bit|bps)$"#, options: .regularExpression) == nil {
            throw ValidationError(nodes == nil ? "--link-rate needs --nodes" : "--link-rate must be a tc rate such as 1gbit or 500mbit, got '\(linkRate)'")
        }
        guard ["private", "node-shared", "both"].contains(buffers) else {
            throw ValidationError("--buffers must be private, node-shared or both, got '\(buffers)'")
        }
        guard iterations >= 1 else { throw ValidationError("--iterations must be at least 1, got \(iterations)") }
        for (name, v) in [("--slice-bytes", sliceBytes), ("--gather-slice-bytes", gatherSliceBytes), ("--shared-slice-bytes", sharedSliceBytes)] {
            if let v, v < 4 || v > 1 << 30 { throw ValidationError("\(name) must be in 4 ... 2^30, got \(v)") }
        }
    }

    func run() throws {
        if let nodes, ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] == nil { return try runAcross(nodes) }
        var settings = try CollectiveSettings.fromEnvironment()
        if let sliceBytes { settings.sliceBytes = sliceBytes }
        if let gatherSliceBytes { settings.gatherSliceBytes = gatherSliceBytes }
        if let sharedSliceBytes { settings.sharedSliceBytes = sharedSliceBytes }
        let comm = try MPICommunicator(settings: settings)
        let n = comm.size, lead = comm.rank == 0
        let format = WireFormat(rawValue: dtype)!
        guard n >= 2 else { try comm.finalize(); throw BenchError.needsRanks(got: n) }
        if tune || tuneInto != nil { try self.tune(comm, table: tuneInto ?? table); return try comm.finalize() }
        if lead {
            let path = comm.usesSharedMemory ? "shared memory, slice \(settings.sharedSliceBytes) B"
                : comm.usesSockets ? "TCP links between nodes, \(format) on the wire"
                : "MPI messages, slice \(settings.sliceBytes) B, gather message \(settings.gatherSliceBytes) B"
            benchNote("bench allreduce: \(n) ranks, ring over \(path), checks \(settings.checkCollectives)")
        }
        // Node-shared buffers: the same kind of memory for both implementations, so MPI_Allreduce
        // runs on the very buffers the ring reads in place (PeerBuffers), as training's gradients are.
        let node = NodeMemory(comm: comm)
        let kinds = buffers != "both" ? [buffers] : node.available ? ["private", "node-shared"] : ["private"]
        for size in try sizes {
            for kind in kinds {
                if kind == "private" {
                    let ring = UnsafeMutableBufferPointer<Float>.allocate(capacity: size / 4)
                    let mpi = UnsafeMutableBufferPointer<Float>.allocate(capacity: size / 4)
                    defer { ring.deallocate(); mpi.deallocate() }
                    try measure(comm, size: size, format: format, ring: ring, mpi: mpi, kind: kind, sharedIn: nil)
                } else if let peers = try node.peerBuffers(count: size / 4), let other = try node.peerBuffers(count: size / 4) {
                    try measure(comm, size: size, format: format, ring: UnsafeMutableBufferPointer(start: peers.mine, count: size / 4),
                                mpi: UnsafeMutableBufferPointer(start: other.mine, count: size / 4), kind: kind, sharedIn: peers)
                } else if lead {
                    benchNote("  \(size) B: no node-shared buffers here (ranks on several nodes, or COHORT_NODE_SHARED=0)")
                }
            }
        }
        try comm.finalize()
    }

    /// Times the ring (on `ring`; in place from the peers' regions with `sharedIn`) against
    /// MPI_Allreduce (on `mpi`) for one size and prints both lines.
    private func measure(_ comm: MPICommunicator, size: Int, format: WireFormat, ring: UnsafeMutableBufferPointer<Float>,
                         mpi: UnsafeMutableBufferPointer<Float>, kind: String, sharedIn peers: PeerBuffers?) throws {
        let n = comm.size, lead = comm.rank == 0, count = size / 4
        // Small integers: every sum is exact (in 16 bits too, for up to 5 ranks), so ring and
        // MPI must agree bit for bit.
        let input = (0 ..< count).map { Float((($0 &* 7) &+ comm.rank &* 13) % 101 - 50) }
        let residual = UnsafeMutablePointer<Float>.allocate(capacity: count)
        residual.initialize(repeating: 0, count: count)
        defer { residual.deallocate() }
        func ringAllReduce() throws {
            if let peers { try peers.allReduce(op: .sum) } else { try comm.allReduce(ring, op: .sum, format: format, residual: residual) }
        }
        func refill(_ b: UnsafeMutableBufferPointer<Float>) { _ = input.withUnsafeBufferPointer { memcpy(b.baseAddress!, $0.baseAddress!, size) } }

        refill(ring); try ringAllReduce()
        refill(mpi); try comm.referenceAllReduce(mpi)
        for i in 0 ..< count where ring[i] != mpi[i] {
            throw BenchError.wrongResult(bytes: size, index: i, ring: ring[i], reference: mpi[i])
        }

        if let dumpResult, kind == "private", size == (try sizes).first { try self.dumpResult(comm, count: count, to: dumpResult) }
        let interNode = try interNodeBytes(comm, count: count, format: format)
        let timed = max(iterations, min(200, (64 << 20) / size))
        var ringTimes: [Double] = [], mpiTimes: [Double] = []
        // Each side's buffer is refilled right before its own call, so both start equally
        // warm (just written, as gradients are after backward). Refilling both first left the
        // ring's buffer colder: at 16 MB on 2 ranks the two refills (2 × 16 MB written and
        // 16 MB read per rank) push it out of the 32 MB L3 while MPI's stays, a bias that
        // vanishes at 8 MB (all fits) and 32 MB (neither fits).
        for it in 0 ..< timed + 3 {
            refill(ring)
            try comm.barrier()
            var t0 = DispatchTime.now().uptimeNanoseconds
            try ringAllReduce()
            if readResult { consume(ring) }
            let tRing = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            refill(mpi)
            try comm.barrier()
            t0 = DispatchTime.now().uptimeNanoseconds
            try comm.referenceAllReduce(mpi)
            if readResult { consume(mpi) }
            let tMPI = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            if it >= 3 { ringTimes.append(tRing); mpiTimes.append(tMPI) }
        }
        guard lead else { return }
        let busFactor = 2 * Double(n - 1) / Double(n)
        var line: [String: Double] = [:], best: [String: Double] = [:]
        for (impl, times) in [("ring", ringTimes), ("mpi", mpiTimes)] {
            let median = times.sorted()[times.count / 2]
            line[impl] = Double(size) * busFactor / median / 1e9
            best[impl] = Double(size) * busFactor / times.min()! / 1e9
            let transport = impl == "mpi" ? "mpi" : peers != nil ? "peer-buffers"
                : comm.usesSharedMemory ? "shared-memory" : comm.usesSockets ? "sockets" : "mpi"
            var obj: [String: Any] = ["bench": "allreduce", "impl": impl, "ranks": n, "bytes": size, "busbw_gbs": line[impl]!,
                          "median_s": median, "iterations": times.count, "transport": transport, "buffers": kind, "read_result": readResult,
                          "dtype": impl == "ring" && comm.usesSockets ? format.rawValue : "fp32",
                          "nodes": nodes ?? comm.nodes, "link_rate": linkRate ?? "unshaped"]
            // What one ring allreduce sent between nodes, summed over ranks.
            if impl == "ring" { obj["inter_node_bytes"] = interNode; obj["hierarchical"] = comm.usesHierarchy }
            if impl == "ring" && comm.usesHierarchy { obj["inside_nodes"] = comm.hierarchyUsesSharedMemory ? "shared-memory" : "sockets" }
            emitJSONLine(obj)
        }
        benchNote(String(format: "  %9d B, %@ buffers: ring %.2f GB/s, mpi %.2f GB/s, ring/mpi %.2f× (best iteration: ring %.2f, mpi %.2f GB/s)",
                         size, kind, line["ring"]!, line["mpi"]!, line["ring"]! / line["mpi"]!, best["ring"]!, best["mpi"]!))
    }

    /// Reads every element of `b`: a wrapping sum of the bit patterns (vectorises, unlike a
    /// Float sum) that the compiler cannot drop.
    private func consume(_ b: UnsafeMutableBufferPointer<Float>) {
        var s: UInt32 = 0
        for v in b { s &+= v.bitPattern }
        if s == 0x7FC0_0000 { benchNote("  (checksum \(s))") }
    }

    /// Makes `k` namespace nodes and runs this benchmark on one rank in each (same options).
    private func runAcross(_ k: Int) throws {
        let dir = try BenchRun.tempDir("allreduce-nodes")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let nodes = try NamespaceNodes.up(count: k, linkRate: linkRate, dir: dir)
        defer { nodes.down() }
        benchNote("bench allreduce: \(k) namespace nodes, links \(linkRate ?? "unshaped")")
        var arguments = Array(CommandLine.arguments.dropFirst()).filter { $0 != "--tune" }
        if tune { arguments += ["--tune-into", URL(fileURLWithPath: table).path] }   // mpirun takes --tune as its own
        let status = try MPILauncher.run(ranks: k, oversubscribe: false, program: MPIRunCommand.selfExecutable(),
                                         arguments: arguments, nodes: nodes)
        guard status == 0 else { throw LaunchError("mpirun across \(k) namespace nodes failed (exit \(status))") }
    }
}
