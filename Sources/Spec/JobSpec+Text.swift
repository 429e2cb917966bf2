// Implements: the job spec's text-model keys (model kind gpt, data kinds text and shakespeare,
// step-based training, the learning-rate schedule, Adam's betas and ε, gradient clipping) and
// their validation; JobSpec.swift calls `validateText` from `validate`.
extension JobSpec {
    public struct Schedule: Codable, Sendable, Equatable {
        /// "cosine": linear warm-up from lr·start_factor to lr over warmup_steps, then cosine
        /// decay to lr·end_factor at the last step. "constant": lr throughout.
        public var kind: String
        public var warmup_steps: Int?
        public var start_factor: Double?
        public var end_factor: Double?
    }

    /// Whether this job trains a language model on bytes (steps, not epochs).
    public var isText: Bool { model.kind == "gpt" }

    /// Learning rate at optimizer step `step` (0-based) of `train.steps`.
    public func learningRate(atStep step: Int) -> Double {
        let lr = train.lr
        guard let s = train.schedule, s.kind == "cosine" else { return lr }
        let warm = s.warmup_steps ?? 0, total = max(train.steps ?? train.max_steps ?? 1, 1)
        let start = lr * (s.start_factor ?? 0), end = lr * (s.end_factor ?? 0)
        if step < warm { return start + (lr - start) * Double(step) / Double(warm) }
        let span = max(total - 1 - warm, 1), progress = min(Double(step - warm) / Double(span), 1)
        return end + (lr - end) * 0.5 * (1 + cos(Double.pi * progress))
    }

    func validateText(_ fail: (String) -> SpecError) throws(SpecError) {
        let m = model
        if m.kind == "gpt" {
            for (k, v) in [("layers", m.layers), ("heads", m.heads), ("dim", m.dim), ("context", m.context)] {
                guard let v else { throw fail("missing key 'model.\(k)' (a gpt needs layers, heads, dim and context)") }
                guard v > 0 else { throw fail("model.\(k): must be at least 1, got \(v)") }
            }
            if m.dim! % m.heads! != 0 { throw fail("model.heads: \(m.heads!) heads do not divide dim \(m.dim!)") }
            guard ["text", "tokens", "shakespeare"].contains(data.kind) else {
                throw fail("data.kind: a gpt trains on 'text', 'tokens' or 'shakespeare', got '\(data.kind)'")
            }
            guard let steps = train.steps else { throw fail("missing key 'train.steps' (text has no epochs)") }
            guard steps > 0 else { throw fail("train.steps: must be at least 1, got \(steps)") }
            if train.epochs != nil { throw fail("train.epochs: a gpt trains for train.steps, not epochs") }
        } else if m.layers != nil || m.heads != nil || m.dim != nil || m.context != nil {
            throw fail("model: layers, heads, dim and context are for kind gpt, not \(m.kind)")
        }
        if ["text", "tokens"].contains(data.kind) {
            guard let f = data.files, !f.isEmpty else { throw fail("data.files: a \(data.kind) data set needs at least one file") }
        }
        if let w = data.eval_windows, w < 1 { throw fail("data.eval_windows: must be at least 1, got \(w)") }
        if let e = train.eval_every, e < 1 { throw fail("train.eval_every: must be at least 1, got \(e)") }
        if let s = train.schedule {
            guard ["cosine", "constant"].contains(s.kind) else { throw fail("train.schedule.kind: expected cosine or constant, got '\(s.kind)'") }
            if let w = s.warmup_steps, w < 0 { throw fail("train.schedule.warmup_steps: must be non-negative, got \(w)") }
            for (k, v) in [("start_factor", s.start_factor), ("end_factor", s.end_factor)] {
                if let v, !(v >= 0 && v <= 1) { throw fail("train.schedule.\(k): must be in [0, 1], got \(v)") }
            }
        }
        if let b = train.betas, b.count != 2 || b.contains(where: { !($0 >= 0 && $0 < 1) }) {
            throw fail("train.betas: expected two numbers in [0, 1), got \(b)")
        }
        if let e = train.eps, !(e > 0) { throw fail("train.eps: must be positive, got \(e)") }
        if let c = train.clip_norm, !(c > 0) { throw fail("train.clip_norm: must be positive, got \(c)") }
    }
}

import Foundation
