// Implements: global-norm gradient clipping in a DataParallel step (PyTorch's clip_grad_norm_):
// the norm of the full mean-reduced gradient, over ranks and shards, and the one factor every
// rank applies before any optimizer step.

extension DataParallel {
    /// Sets `gradientNorm` from this rank's owned reduced gradients, summed over ranks where each
    /// owns a part (stages 1–2), and returns the factor every rank applies.
    func clipScale() throws -> Float {
        guard let clipNorm else { return 1 }
        var local = 0.0
        for b in 0..<sharded.groupCount {   // each bucket's sum while the later ones are still being reduced
            reduction.waitForBucket(b)
            local += sharded.sumOfSquares(group: b, grads: reduction.gradients(group: b))
        }
        if exchangeStage >= 1, let comm, let queue { local = try queue.sync { try comm.sumOverRanks([local]) }[0] }
        gradientNorm = local.squareRoot()
        let factor = Double(clipNorm) / (gradientNorm + 1e-6)
        return factor < 1 ? Float(factor) : 1
    }
}
