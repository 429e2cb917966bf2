// Implements: Checkpointer, writing checkpoints while training goes on, and restoring them.
// Commit protocol, per checkpoint of step S (every rank calls the same methods at the same steps):
//   begin(S):  copy this rank's part of the state (its checkpoint ranges: parameters and optimizer
//              state, through CheckpointSource) into memory — the only pause training sees — then a background thread
//              writes DIR/step-S.tmp/rank-R.bin and fsyncs it.
//   commit():  (`commitDelaySteps` steps later, at the next snapshot, or at the end) wait for that write; all ranks exchange size,
//              CRC32 and success (one small exact Int64 sum: it is also the barrier); rank 0 writes
//              manifest.json into step-S.tmp, fsyncs it, renames step-S.tmp → step-S, fsyncs DIR,
//              replaces LATEST atomically, then deletes committed checkpoints beyond `keep` and
//              stale .tmp directories.
// A crash anywhere leaves the previous checkpoint committed and the new one either complete or
// an ignored .tmp directory.
import Durable
import Foundation
import NN

/// Writes checkpoints in the background while training goes on, commits them on all ranks, and restores them.
public final class Checkpointer {
    /// Where the step-NNNNNNNN directories and LATEST live.
    public let directory: String
    /// The job name, recorded in every manifest.
    public let job: String
    /// The job spec text, recorded in every manifest.
    public let specText: String
    /// Committed checkpoints kept; older ones are deleted after each commit.
    public let keep: Int
    /// The rank's parameters, optimizer state and rank group.
    public let parallel: CheckpointSource
    /// The optimizer's name as the spec gives it (recorded, and checked on resume).
    public let optimizerName: String
    private let writer = DispatchQueue(label: "cohort-checkpoint-writer")
    private var pending: Pending?
    private let log: (String) -> Void
    /// Told (on rank 0) about every committed checkpoint: step and directory.
    public var onCommit: ((Int, String) -> Void)?

    struct Pending {
        let step: Int, sampler: Manifest.Sampler, optimizerSteps: Int, learningRate: Double
        let tmp: String
        let done = DispatchSemaphore(value: 0)
    }
    private var pendingResult: Result<(bytes: Int, crc: UInt32), Error>?
    private var snapshotBuffer: UnsafeMutablePointer<Float>?
    private var snapshotCapacity = 0
    /// Steps after a snapshot at which every rank commits it (or earlier, at the next snapshot or
    /// at the end): the background write has that long before anyone waits for it.
    public var commitDelaySteps = 5

    /// Timings of the last checkpoint of this rank, in seconds: copying the state to memory (the
    /// pause training sees), writing and fsyncing its file in the background, and waiting for
    /// that write at commit (zero when it finished during the next step); and its file's size.
    public private(set) var lastSnapshotSeconds = 0.0, lastWriteSeconds = 0.0, lastCommitWaitSeconds = 0.0, lastBytes = 0

    /// Creates `directory` if needed.
    /// - Throws: `CheckpointError.io` when the directory cannot be created.
    public init(directory: String, job: String, specText: String, keep: Int, parallel: CheckpointSource, optimizerName: String,
                log: @escaping (String) -> Void = { _ in }) throws {
        self.directory = directory
        self.job = job
        self.specText = specText
        self.keep = keep
        self.parallel = parallel
        self.optimizerName = optimizerName
        self.log = log
        try Self.makeWritableDirectory(directory)
    }

    /// mkdir -p, then a check that we may create files in it: a directory we cannot write fails
    /// here, before training, not at the first checkpoint. Errors carry the OS's reason (strerror).
    static func makeWritableDirectory(_ path: String) throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                throw CheckpointError.io("cannot create checkpoint directory \(path): \(String(cString: strerror(errno)))")
            }
        }
        guard access(path, W_OK | X_OK) == 0 else {
            throw CheckpointError.io("cannot write checkpoints into \(path): \(String(cString: strerror(errno)))")
        }
    }

    static func name(_ step: Int) -> String { String(format: "step-%08d", step) }
    static func fileName(_ rank: Int) -> String { String(format: "rank-%05d.bin", rank) }

    /// The element ranges rank r writes, for any stage (parameters are replicated in stages 0–2,
    /// so each rank writes a distinct 1/N and nothing is gathered).
    func ranges(of r: Int) -> [Range<Int>] { parallel.checkpointRanges(of: r) }

    /// Snapshots this rank's state after `step` and starts writing it in the background.
    /// A previous checkpoint still pending is committed first.
    public func begin(step: Int, sampler: Manifest.Sampler) throws {
        try commit()
        let t0 = DispatchTime.now().uptimeNanoseconds
        let mine = ranges(of: parallel.rank), state = parallel.optimizerState
        let k = state.bufferCount
        let total = mine.reduce(0) { $0 + $1.count } * (1 + k)
        // One snapshot buffer for the run (the previous write has finished: commit() waited), so
        // taking a snapshot is a copy into pages already mapped, not ~3,000 page faults.
        if snapshotCapacity < total {
            snapshotBuffer?.deallocate()
            snapshotBuffer = UnsafeMutablePointer<Float>.allocate(capacity: max(total, 1))
            snapshotCapacity = total
        }
        let snapshot = snapshotBuffer!
        var at = 0
        let params = parallel.model.store.params.pointer
        for r in mine {
            (snapshot + at).update(from: params + r.lowerBound, count: r.count)
            at += r.count
            for j in 0..<k {
                state.copyState(j, range: r, into: snapshot + at)
                at += r.count
            }
        }
        let tmp = "\(directory)/\(Checkpointer.name(step)).tmp"
        let file = "\(tmp)/\(Checkpointer.fileName(parallel.rank))"
        let p = Pending(step: step, sampler: sampler, optimizerSteps: state.steps, learningRate: Double(state.learningRate), tmp: tmp)
        let done = p.done
        pendingResult = nil
        lastSnapshotSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        lastBytes = total * 4
        writer.async {
            let w0 = DispatchTime.now().uptimeNanoseconds
            let result = Result { () throws -> (bytes: Int, crc: UInt32) in
                try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
                let data = Data(bytesNoCopy: snapshot, count: total * 4, deallocator: .none)
                try AtomicFile.write(data, to: file)
                return (total * 4, CRC32.of(data))
            }
            self.pendingResult = result
            self.lastWriteSeconds = Double(DispatchTime.now().uptimeNanoseconds - w0) / 1e9   // before the signal: commit() reads it
            done.signal()
        }
        pending = p
    }

    deinit { snapshotBuffer?.deallocate() }

    /// Commits the pending checkpoint once `commitDelaySteps` steps have passed since its snapshot.
    /// Every rank calls it after every step with the same `step`, so all commit at the same one.
    public func commitIfDue(step: Int) throws {
        guard let p = pending, step >= p.step + commitDelaySteps else { return }
        try commit()
    }

    /// Finishes the pending checkpoint, if any (see the protocol above). Every rank must call it.
    public func commit() throws {
        guard let p = pending else { return }
        pending = nil
        let t0 = DispatchTime.now().uptimeNanoseconds
        p.done.wait()
        lastCommitWaitSeconds = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let n = parallel.size, me = parallel.rank
        var mine: (bytes: Int, crc: UInt32)?
        var failure: Error?
        switch pendingResult! {
        case .success(let v): mine = v
        case .failure(let e): failure = e
        }
        // [failed, bytes_0, crc_0, bytes_1, crc_1, …]: each rank fills its own slots; the sum is the barrier.
        var slots = [Int64](repeating: 0, count: 1 + 2 * n)
        slots[0] = failure == nil ? 0 : 1
        if let mine { slots[1 + 2 * me] = Int64(mine.bytes); slots[2 + 2 * me] = Int64(mine.crc) }
        let all = try parallel.sumOverRanks(slots)
        if let failure { throw CheckpointError.io("checkpoint \(Checkpointer.name(p.step)) not written: \(failure)") }
        guard all[0] == 0 else {
            log("checkpoint \(Checkpointer.name(p.step)) abandoned: another rank could not write its file")
            return
        }
        guard me == 0 else { return }
        let files = (0..<n).map { r in
            Manifest.File(rank: r, file: Checkpointer.fileName(r), bytes: Int(all[1 + 2 * r]), crc32: UInt32(all[2 + 2 * r]),
                          ranges: ranges(of: r).map { [$0.lowerBound, $0.upperBound] })
        }
        let model = parallel.model
        let manifest = Manifest(
            format_version: Manifest.formatVersion, job: job, spec: specText, step: p.step, world_size: n, zero_stage: parallel.stage,
            parameter_count: model.parameterCount, layout: model.store.layout.entries, sampler: p.sampler, rng_states: [:],
            optimizer: .init(kind: optimizerName, steps: p.optimizerSteps,
                             buffers: parallel.optimizerState.bufferCount, learningRate: p.learningRate),
            files: files, created: Date().timeIntervalSince1970)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(manifest), to: p.tmp + "/manifest.json")
        let final = "\(directory)/\(Checkpointer.name(p.step))"
        if FileManager.default.fileExists(atPath: final) { try? FileManager.default.removeItem(atPath: final) }
        guard rename(p.tmp, final) == 0 else {
            throw CheckpointError.io("cannot commit checkpoint: rename \(p.tmp) → \(final): \(String(cString: strerror(errno)))")
        }
        AtomicFile.syncDirectory(directory)
        try AtomicFile.write(Checkpointer.name(p.step) + "\n", to: directory + "/LATEST")
        retain(newest: p.step)
        onCommit?(p.step, final)
    }

    /// Deletes committed checkpoints beyond the newest `keep`, and .tmp directories older than `newest`.
    private func retain(newest: Int) {
        let fm = FileManager.default
        for old in CheckpointReader.committed(in: directory).dropFirst(keep) { try? fm.removeItem(atPath: old) }
        for name in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".tmp") {
            if let s = Int(name.dropFirst(5).dropLast(4)), s < newest { try? fm.removeItem(atPath: "\(directory)/\(name)") }
        }
    }

    /// Puts a loaded checkpoint's state into this rank's model and optimizers.
    /// - Throws: `CheckpointError.incompatible` if the model layout or optimizer differ.
    public func restore(_ c: LoadedCheckpoint) throws(CheckpointError) {
        let m = c.manifest, model = parallel.model
        guard m.layout == model.store.layout.entries else {
            throw .incompatible("checkpoint \(c.path) holds another model (\(m.parameter_count) parameters in \(m.layout.count) tensors; "
                                + "this job's model has \(model.parameterCount) in \(model.store.layout.entries.count))")
        }
        let state = parallel.optimizerState, k = state.bufferCount
        guard m.optimizer.kind == optimizerName, m.optimizer.buffers == k else {
            throw .incompatible("checkpoint \(c.path) was written with optimizer \(m.optimizer.kind); this job uses \(optimizerName)")
        }
        if parallel.writesParameters {   // then `parallel.parametersWritten()` on every rank
            c.params.withUnsafeBufferPointer { model.store.params.pointer.update(from: $0.baseAddress!, count: $0.count) }
        }
        for j in 0..<k { c.optimizerState[j].withUnsafeBufferPointer { state.loadState(j, from: $0.baseAddress!) } }
        state.steps = m.optimizer.steps
    }
}
