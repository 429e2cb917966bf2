// Implements: AlgorithmTable, which allreduce schedule the socket ring uses by buffer size: the
// direct schedule (SocketRing+Direct.swift) below `ringFromBytes`, the ring from there up. It
// is measured by `cohort bench allreduce --tune` on the job's own topology and read by every rank
// at start from the file COHORT_ALGORITHM_TABLE names. A table holds for one build of Cohort
// (the hash of its executable) and one topology (ranks, nodes): anything else is refused, since
// the crossover moves with both.
import Foundation

/// The tuning table: a JSON file, version 1 (docs/collectives.md, "Algorithm by size").
public struct AlgorithmTable: Codable, Equatable, Sendable {
    public static let version = 1
    public struct Row: Codable, Equatable, Sendable {
        public var bytes: Int
        /// Median microseconds of one allreduce of `bytes` with each schedule.
        public var ring_us: Double, direct_us: Double
        public init(bytes: Int, ring_us: Double, direct_us: Double) { self.bytes = bytes; self.ring_us = ring_us; self.direct_us = direct_us }
    }
    public var version: Int
    /// `AlgorithmTable.buildHash()` of the executable that measured it.
    public var build: String
    public var ranks: Int, nodes: Int
    /// Buffers of at least this many bytes take the ring; smaller ones the direct schedule.
    public var ring_from_bytes: Int
    public var rows: [Row]

    /// A table from measured rows: the ring from the smallest size above which it always wins.
    public init(build: String, ranks: Int, nodes: Int, rows: [Row]) {
        version = Self.version; self.build = build; self.ranks = ranks; self.nodes = nodes
        let sorted = rows.sorted { $0.bytes < $1.bytes }
        self.rows = sorted
        ring_from_bytes = sorted.last { $0.direct_us < $0.ring_us }.map { $0.bytes + 1 } ?? 0
    }

    /// The JSON text (sorted keys, one table per file).
    public func encoded() throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try e.encode(self)
    }

    /// Reads and checks the table at `path` for this build and topology.
    /// - Throws: `CollectiveError.invalidArgument` naming the file and what does not match.
    public static func load(path: String, build: String, ranks: Int, nodes: Int) throws -> AlgorithmTable {
        let hint = "\nhint: measure it again with 'cohort bench allreduce --tune --table \(path)' on this job's nodes"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CollectiveError.invalidArgument("COHORT_ALGORITHM_TABLE: cannot read \(path)")
        }
        let t: AlgorithmTable
        do { t = try JSONDecoder().decode(AlgorithmTable.self, from: data) } catch {
            throw CollectiveError.invalidArgument("COHORT_ALGORITHM_TABLE: \(path) is not a tuning table (\(error))")
        }
        guard t.version == version else {
            throw CollectiveError.invalidArgument("COHORT_ALGORITHM_TABLE: \(path) has version \(t.version), this build reads \(version)\(hint)")
        }
        guard t.build == build else {
            throw CollectiveError.invalidArgument("COHORT_ALGORITHM_TABLE: \(path) was measured by another build of cohort (\(t.build), this one is \(build))\(hint)")
        }
        guard t.ranks == ranks && t.nodes == nodes else {
            throw CollectiveError.invalidArgument("COHORT_ALGORITHM_TABLE: \(path) was measured on \(t.ranks) ranks across \(t.nodes) nodes, "
                + "this job has \(ranks) ranks across \(nodes) nodes\(hint)")
        }
        guard t.ring_from_bytes >= 0 else { throw CollectiveError.invalidArgument("COHORT_ALGORITHM_TABLE: \(path): ring_from_bytes \(t.ring_from_bytes) < 0") }
        return t
    }

    /// 64-bit FNV-1a of this process's executable, as 16 hex digits ("unknown" if unreadable).
    public static func buildHash() -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/self/exe") else { return "unknown" }
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        data.withUnsafeBytes { raw in
            let words = raw.count / 8
            for i in 0 ..< words { h = (h ^ raw.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self)) &* 0x100_0000_01b3 }
            for i in (8 * words) ..< raw.count { h = (h ^ UInt64(raw[i])) &* 0x100_0000_01b3 }
        }
        return String(h, radix: 16).leftPadded(to: 16)
    }
}

private extension String {
    func leftPadded(to n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}
