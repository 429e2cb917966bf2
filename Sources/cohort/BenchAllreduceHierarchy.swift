// Implements: what `cohort bench allreduce` reports about the hierarchy across nodes: the bytes
// one allreduce sends between nodes, summed over ranks (`inter_node_bytes` in each ring line), and
// with --dump-result the result of one allreduce of non-integer inputs, written by every rank to
// PATH.rankR, so that runs can be compared bit for bit (the hierarchy run to run) or to rounding
// (the hierarchy against the flat ring, COHORT_HIERARCHICAL=0).
import Collectives
import Durable
import Foundation

extension BenchAllreduce {
    /// Sum over ranks of the inter-node bytes of one ring allreduce of `count` floats in `format`. Collective.
    func interNodeBytes(_ comm: MPICommunicator, count: Int, format: WireFormat) throws -> Int64 {
        let x = UnsafeMutableBufferPointer<Float>.allocate(capacity: count), residual = UnsafeMutablePointer<Float>.allocate(capacity: count)
        defer { x.deallocate(); residual.deallocate() }
        x.initialize(repeating: 1)
        residual.initialize(repeating: 0, count: count)
        let before = comm.interNodeBytesSent
        try comm.allReduce(x, op: .mean, format: format, residual: residual)
        return try comm.sumOverRanks([Int64(comm.interNodeBytesSent - before)])[0]
    }

    /// Writes the mean over ranks of sin(7i + 1013r) (i < count) to `path`.rankR. Collective.
    func dumpResult(_ comm: MPICommunicator, count: Int, to path: String) throws {
        var x = (0 ..< count).map { Float(sin(Double($0 &* 7 &+ comm.rank &* 1013))) }
        try x.withUnsafeMutableBufferPointer { try comm.allReduce($0, op: .mean) }
        try AtomicFile.write(x.withUnsafeBytes { Data($0) }, to: "\(path).rank\(comm.rank)")
    }
}
