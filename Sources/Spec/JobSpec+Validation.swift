// Implements: JobSpec.validate, the range and consistency checks of a decoded spec, each failure
// one message naming the key and the value.

extension JobSpec {
    public func validate(source: String) throws(SpecError) {
        func fail(_ m: String) -> SpecError { SpecError(source: source, message: m) }
        guard ["mlp", "cnn", "gpt"].contains(model.kind) else { throw fail("model.kind: unknown model kind '\(model.kind)' (expected mlp, cnn or gpt)") }
        if let h = model.hidden, h.isEmpty || h.contains(where: { $0 <= 0 }) { throw fail("model.hidden: widths must be positive, got \(h)") }
        if let c = model.channels, c.count != 2 || c.contains(where: { $0 <= 0 }) { throw fail("model.channels: expected two positive counts, got \(c)") }
        try validateText(fail)
        if model.kind != "gpt" {
            guard ["fashion-mnist", "npy"].contains(data.kind) else { throw fail("data.kind: unknown data set '\(data.kind)' (expected fashion-mnist or npy)") }
            if data.kind == "npy", data.inputs == nil || data.labels == nil { throw fail("data: kind npy needs 'inputs' and 'labels'") }
            guard let epochs = train.epochs else { throw fail("missing key 'train.epochs'") }
            guard epochs > 0 else { throw fail("train.epochs: must be at least 1, got \(epochs)") }
        }
        switch (train.batch_per_rank, train.global_batch) {
        case (nil, nil): throw fail("missing key 'train.batch_per_rank' (or 'train.global_batch')")
        case (.some, .some): throw fail("train: give batch_per_rank or global_batch, not both")
        case let (b?, nil): guard b > 0 else { throw fail("train.batch_per_rank: must be at least 1, got \(b)") }
        case let (nil, g?):
            guard g > 0 else { throw fail("train.global_batch: must be at least 1, got \(g)") }
            if let r = parallel?.ranks, r > 0, g % r != 0 { throw fail("train.global_batch: \(g) does not split over parallel.ranks \(r)") }
        }
        guard ["sgd", "adam", "adamw"].contains(train.optimizer) else { throw fail("train.optimizer: unknown optimizer '\(train.optimizer)' (expected sgd, adam or adamw)") }
        guard train.lr > 0, train.lr.isFinite else { throw fail("train.lr: must be a positive number, got \(train.lr)") }
        if let s = train.seed, s < 0 { throw fail("train.seed: must be non-negative, got \(s)") }
        if let a = train.accumulation {
            guard a > 0 else { throw fail("train.accumulation: must be at least 1, got \(a)") }
            if let b = train.batch_per_rank, b % a != 0 {
                throw fail("train.accumulation: \(a) does not divide train.batch_per_rank \(b)")
            }
        }
        if let m = train.max_steps, m <= 0 { throw fail("train.max_steps: must be at least 1, got \(m)") }
        if let p = parallel {
            if let r = p.ranks, r < 1 { throw fail("parallel.ranks: must be at least 1, got \(r)") }
            if let m = p.min_ranks, m < 1 || m > (p.ranks ?? m) { throw fail("parallel.min_ranks: must be in 1…ranks, got \(m)") }
            if let m = p.min_ranks, m < (p.ranks ?? m), train.global_batch == nil {
                throw fail("parallel.min_ranks: an elastic job (min_ranks \(m) below ranks \(p.ranks ?? m)) must give train.global_batch instead of batch_per_rank, so a restart on fewer ranks keeps the batch")
            }
            if let z = p.zero_stage, !(0...2).contains(z) { throw fail("parallel.zero_stage: must be 0, 1 or 2, got \(z)") }
            if let b = p.bucket_mb, !(b > 0 && b <= 1024) { throw fail("parallel.bucket_mb: must be in (0, 1024], got \(b)") }
            if let m = p.memory_limit_mb, !(m > 0) { throw fail("parallel.memory_limit_mb: must be positive, got \(m)") }
            if let g = p.grad_dtype {
                guard ["fp32", "bf16", "fp16"].contains(g) else { throw fail("parallel.grad_dtype: unknown format '\(g)' (expected fp32, bf16 or fp16)") }
            }
        }
        if let c = checkpoint {
            if let e = c.every_steps, e < 1 { throw fail("checkpoint.every_steps: must be at least 1, got \(e)") }
            if let e = c.every_seconds, !(e > 0) { throw fail("checkpoint.every_seconds: must be positive, got \(e)") }
            if let k = c.keep, k < 1 { throw fail("checkpoint.keep: must be at least 1, got \(k)") }
        }
        try validateLocalSGD(fail)
        if let f = fault, let m = f.max_restarts, m < 0 { throw fail("fault.max_restarts: must be non-negative, got \(m)") }
    }
}
