// Implements: `cohort bench allreduce --tune`: times the socket ring's two allreduce schedules
// (ring; direct, SocketRing+Direct.swift) at each size, alternating them on the same buffers after
// checking that both give MPI_Allreduce's result, and writes the table that says from which size
// on the ring is used (AlgorithmTable.swift) atomically to --table. Rank 0 prints one JSON line
// per size and one for the table; jobs read it through COHORT_ALGORITHM_TABLE.
import Collectives
import Durable
import Foundation

extension BenchAllreduce {
    /// Default sizes of a tuning run: 1 KB to 4 MB by powers of 2 (the crossover sits between).
    static let tuneSizes = (10 ... 22).map { 1 << $0 }

    func tune(_ comm: MPICommunicator, table path: String) throws {
        guard comm.usesSockets else {
            throw LaunchError("--tune measures the socket ring between nodes, which this job does not use (one node); "
                + "run it across nodes (--nodes K, or mpirun with a hostfile)")
        }
        let n = comm.size, lead = comm.rank == 0
        var rows: [AlgorithmTable.Row] = []
        for size in bytes.isEmpty ? Self.tuneSizes : try sizes {
            let count = size / 4
            // Small integers: every sum is exact, so both schedules must give MPI's bits.
            let input = (0 ..< count).map { Float((($0 &* 7) &+ comm.rank &* 13) % 101 - 50) }
            let x = UnsafeMutableBufferPointer<Float>.allocate(capacity: count), ref = UnsafeMutableBufferPointer<Float>.allocate(capacity: count)
            defer { x.deallocate(); ref.deallocate() }
            func refill(_ b: UnsafeMutableBufferPointer<Float>) { _ = input.withUnsafeBufferPointer { memcpy(b.baseAddress!, $0.baseAddress!, size) } }
            func run(direct: Bool) throws -> Double {
                comm.settings.directBelowBytes = direct ? Int.max : 0
                refill(x)
                try comm.barrier()
                let t0 = DispatchTime.now().uptimeNanoseconds
                try comm.allReduce(x, op: .sum)
                return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e3
            }
            refill(ref); try comm.referenceAllReduce(ref)
            for direct in [false, true] {
                _ = try run(direct: direct)
                for i in 0 ..< count where x[i] != ref[i] { throw BenchError.wrongResult(bytes: size, index: i, ring: x[i], reference: ref[i]) }
            }
            let timed = max(iterations, min(100, (16 << 20) / size))
            var ring: [Double] = [], direct: [Double] = []
            for it in 0 ..< timed + 3 {
                let a = try run(direct: false), b = try run(direct: true)
                if it >= 3 { ring.append(a); direct.append(b) }
            }
            let row = AlgorithmTable.Row(bytes: size, ring_us: ring.sorted()[ring.count / 2], direct_us: direct.sorted()[direct.count / 2])
            rows.append(row)
            if lead {
                emitJSONLine(["bench": "allreduce-tune", "ranks": n, "nodes": comm.nodes, "bytes": size, "ring_us": row.ring_us,
                              "direct_us": row.direct_us, "link_rate": linkRate ?? "unshaped"])
            }
        }
        let table = AlgorithmTable(build: AlgorithmTable.buildHash(), ranks: n, nodes: comm.nodes, rows: rows)
        if lead {
            try AtomicFile.write(table.encoded(), to: path)
            emitJSONLine(["bench": "allreduce-tune", "ranks": n, "nodes": comm.nodes, "ring_from_bytes": table.ring_from_bytes, "table": path])
            benchNote("bench allreduce --tune: direct below \(table.ring_from_bytes) bytes, ring from there; wrote \(path) "
                      + "(use it with COHORT_ALGORITHM_TABLE=\(path))")
        }
        comm.settings.directBelowBytes = 0
        try comm.barrier()
    }
}
