// Implements: the checks of `parallel.sync_every` (local SGD, Sources/Parallel/LocalSGD.swift)
// against the rest of a spec, and the stage a local-SGD run uses.
//   sync_every H ≥ 1; H > 1 needs the full optimizer state on every rank (ZeRO stage 0: the
//   default then) and fp32 parameters between nodes (grad_dtype fp32: no gradient crosses a
//   link), and checkpoints only at sync points, where every rank holds the same state
//   (checkpoint.every_steps a multiple of H; no every_seconds, whose moment is not a step count).

extension JobSpec {
    /// parallel.sync_every, 1 when absent.
    public var syncEvery: Int { parallel?.sync_every ?? 1 }

    /// The ZeRO stage when neither the spec nor the command line gives one: 0 with local SGD.
    public var defaultStage: Int { syncEvery > 1 ? 0 : JobSpec.defaultZeroStage }

    func validateLocalSGD(_ fail: (String) -> SpecError) throws(SpecError) {
        guard let h = parallel?.sync_every else { return }
        guard h >= 1 else { throw fail("parallel.sync_every: must be at least 1, got \(h)") }
        guard h > 1 else { return }
        if let z = parallel?.zero_stage, z != 0 { throw fail("parallel.sync_every: \(h) needs zero_stage 0 (every rank steps all of its own state), got \(z)") }
        if let g = parallel?.grad_dtype, g != "fp32" { throw fail("parallel.sync_every: \(h) averages fp32 parameters and sends no gradients; grad_dtype must be fp32, got \(g)") }
        if let e = checkpoint?.every_steps, e % h != 0 { throw fail("checkpoint.every_steps: \(e) is not a multiple of parallel.sync_every \(h) (checkpoints are written at sync points)") }
        if checkpoint?.every_seconds != nil { throw fail("checkpoint.every_seconds: not with parallel.sync_every \(h) (checkpoints are written at sync points: use every_steps, a multiple of \(h))") }
    }

    /// sync_every for a run at ZeRO `stage` (the spec's or the command line's).
    /// - Throws: `SpecError` when sync_every > 1 meets a stage above 0 (e.g. from `--zero-stage 1`).
    public func syncEvery(stage: Int) throws(SpecError) -> Int {
        if syncEvery > 1 && stage != 0 { throw SpecError(source: name, message: "parallel.sync_every: \(syncEvery) needs zero_stage 0, got \(stage)") }
        return syncEvery
    }
}
