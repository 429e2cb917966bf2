// Implements: the decoder's check of every field against docs/protocol.md's field tables: the range
// or size of each field whenever it is present. Which fields a type requires is checked by its
// typed value (Request.swift, Kill), so a message that passes both reaches a handler with every
// required field set and in range.
import Foundation

extension Message {
    /// Why this message is invalid, naming the field and the value; nil when it is valid.
    public func problem() -> String? {
        let t = type.rawValue
        if id.utf8.count > WireLimits.requestIDBytes || !TerminalText.isPrintable(id) {
            return "field \"id\" must be at most \(WireLimits.requestIDBytes) bytes of printable text"
        }
        func range(_ name: String, _ v: Int?, _ r: ClosedRange<Int>) -> String? {
            guard let v, !r.contains(v) else { return nil }
            return "field \"\(name)\" of \(t) must be in \(r.lowerBound)…\(r.upperBound), got \(v)"
        }
        func text(_ name: String, _ v: String?, max: Int) -> String? {
            guard let v else { return nil }
            if v.isEmpty { return "field \"\(name)\" of \(t) must not be empty" }
            if v.utf8.count > max { return "field \"\(name)\" of \(t) is \(v.utf8.count) bytes, more than \(max)" }
            if !TerminalText.isPrintable(v) { return "field \"\(name)\" of \(t) holds control characters: \(TerminalText.line(v))" }
            return nil
        }
        func jobID(_ name: String, _ v: String?) -> String? {
            guard let v, !Message.isCanonicalJobID(v) else { return nil }
            return "field \"\(name)\" of \(t) must be a job id (a decimal number without sign or leading zero), got \"\(TerminalText.line(String(v.prefix(40))))\""
        }
        let rankRange = 0 ... WireLimits.maxRanks - 1
        var checks: [String?] = [
            jobID("job", job), jobID("after", after),
            text("node", node, max: WireLimits.nameBytes), text("host", host, max: WireLimits.nameBytes),
            text("address", address, max: WireLimits.addressBytes),
            range("slots", slots, 0 ... WireLimits.maxRanks), range("rank", rank, rankRange),
            range("pid", pid, 1 ... WireLimits.maxPid), range("attempt", attempt, 1 ... WireLimits.maxAttempt),
            range("world_size", worldSize, 1 ... WireLimits.maxRanks), range("step", step, 0 ... WireLimits.maxStep),
            range("priority", priority, WireLimits.priorityRange), range("timeout_ms", timeoutMs, WireLimits.timeoutRange),
            range("limit", limit, type == .metrics ? WireLimits.metricsLimitRange : WireLimits.listLimitRange),
            range("grace_ms", graceMs, 0 ... 3_600_000),
        ]
        if let a = address, a.contains(where: \.isWhitespace) { checks.append("field \"address\" of \(t) must not contain spaces, got \"\(TerminalText.line(a))\"") }
        if let s = spec, s.utf8.count > WireLimits.specBytes { checks.append("field \"spec\" is \(s.utf8.count) bytes, more than \(WireLimits.specBytes)") }
        if let p = path {
            if p.isEmpty || p.utf8.count > WireLimits.pathBytes || p.contains("\0") {
                checks.append("field \"path\" of \(t) must be 1…\(WireLimits.pathBytes) bytes without NUL")
            }
        }
        if let l = loss, !l.isFinite { checks.append("field \"loss\" of \(t) must be a finite number") }
        if let e = evaluation {
            if let p = text("evaluation.metric", e.metric, max: WireLimits.nameBytes) { checks.append(p) }
            if !e.value.isFinite { checks.append("field \"evaluation.value\" of \(t) must be a finite number") }
            if let p = range("evaluation.step", e.step, 0 ... WireLimits.maxStep) { checks.append(p) }
        }
        if let s = samplesPerS, !(s.isFinite && s >= 0) { checks.append("field \"samples_per_s\" of \(t) must be a finite number ≥ 0, got \(s)") }
        if let o = offsets {
            if o.count > WireLimits.maxRanks { checks.append("field \"offsets\" of \(t) has \(o.count) entries, more than \(WireLimits.maxRanks)") }
            if let (i, bad) = o.enumerated().first(where: { !(0 ... WireLimits.maxOffset).contains($0.element) }) {
                checks.append("field \"offsets\" of \(t): entry \(i) must be in 0…\(WireLimits.maxOffset), got \(bad)")
            }
        }
        if let r = ranks {
            if r.count > WireLimits.maxRanks { checks.append("field \"ranks\" of \(t) has \(r.count) entries, more than \(WireLimits.maxRanks)") }
            if let bad = r.first(where: { !rankRange.contains($0) }) { checks.append("field \"ranks\" of \(t): rank \(bad) is not in 0…\(rankRange.upperBound)") }
        }
        if let ps = processes {
            if ps.count > WireLimits.maxProcesses { checks.append("field \"processes\" of \(t) has \(ps.count) entries, more than \(WireLimits.maxProcesses)") }
            for (i, p) in ps.enumerated() {
                if !Message.isCanonicalJobID(p.job) || !rankRange.contains(p.rank) || !(1 ... WireLimits.maxPid).contains(p.pid) {
                    checks.append("field \"processes\" of \(t): entry \(i) needs a job id, a rank in 0…\(rankRange.upperBound) and a pid ≥ 1")
                    break
                }
            }
        }
        return checks.lazy.compactMap { $0 }.first
    }

    /// Job ids are decimal numbers 1…2^63−1 written without sign, spaces or leading zeros, so one
    /// job has one spelling ("01" and "+1" are not job 1).
    public static func isCanonicalJobID(_ s: String) -> Bool {
        guard let first = s.utf8.first, first != UInt8(ascii: "0"), s.utf8.count <= 19,
              s.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) else { return false }
        return Int64(s) != nil
    }
}
