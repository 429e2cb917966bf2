// Implements: the start-up check that every rank of a job runs its collectives with rank 0's
// settings. Slice sizes, the shared-memory and socket switches, checks, spin and timeout decide
// how ranks meet in a collective; a rank with another value would wait in a different pattern
// and hang or corrupt the reduction, so a difference stops every rank with one error naming the
// setting (its environment variable) and both values.
import CMPI
import CMPIShim

extension CollectiveSettings {
    /// The environment variables of the settings, which every launcher must give every rank alike.
    public static let environmentNames = CollectiveSettings().agreementFields.map(\.name)

    /// Each setting as its environment variable and an integer (times in microseconds, -1 for none).
    var agreementFields: [(name: String, value: Int64)] {
        [("COHORT_CHECK_COLLECTIVES", checkCollectives ? 1 : 0),
         ("COHORT_COLLECTIVE_TIMEOUT", timeoutSeconds.map { Int64(($0 * 1e6).rounded()) } ?? -1),
         ("COHORT_RING_SLICE_BYTES", Int64(sliceBytes)),
         ("COHORT_GATHER_SLICE_BYTES", Int64(gatherSliceBytes)),
         ("COHORT_SHARED_MEMORY", sharedMemory ? 1 : 0),
         ("COHORT_NODE_SHARED", nodeShared ? 1 : 0),
         ("COHORT_SHARED_SLICE_BYTES", Int64(sharedSliceBytes)),
         ("COHORT_SPIN_US", Int64((spinSeconds * 1e6).rounded())),
         ("COHORT_SOCKET_RING", socketRing ? (socketRingOnOneNode ? 2 : 1) : 0),
         ("COHORT_HIERARCHICAL", hierarchical ? 1 : 0),
         // The path's FNV-1a hash (0 for none): the table's contents are compared when it is read.
         ("COHORT_ALGORITHM_TABLE", algorithmTable.map { Int64(bitPattern: $0.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }) } ?? 0)]
    }
}

extension MPICommunicator {
    /// Throws on every rank when any rank's settings differ from rank 0's. Collective over `world`.
    static func checkSettingsAgree(world: MPI_Comm, rank: Int, size: Int, settings: CollectiveSettings) throws {
        guard size > 1 else { return }
        let fields = settings.agreementFields
        let mine = fields.map(\.value)
        var all = [Int64](repeating: 0, count: mine.count * size)
        try mine.withUnsafeBufferPointer { m in
            try all.withUnsafeMutableBufferPointer { a in
                try mpiCheck(MPI_Allgather(m.baseAddress, Int32(m.count), CMPIShim_INT64(), a.baseAddress, Int32(m.count),
                                           CMPIShim_INT64(), world), "MPI_Allgather")
            }
        }
        for r in 1 ..< size {
            for (i, field) in fields.enumerated() where all[r * fields.count + i] != all[i] {
                throw CollectiveError.invalidArgument("\(field.name) differs between ranks: rank 0 runs with \(all[i]), rank \(r) with "
                    + "\(all[r * fields.count + i]); every rank must use the same collective settings (set it for all, e.g. mpirun -x \(field.name))")
            }
        }
    }
}
