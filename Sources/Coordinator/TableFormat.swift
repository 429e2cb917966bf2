// Implements: TableFormat, the human-readable tables the CLI prints (jobs, nodes, one job's
// status), column-aligned, and the JSON rendering used by --json. Every string that came over the
// network (names, reasons, hosts) goes through TerminalText.line, so none can drive the terminal.
import Foundation
import Wire

public enum TableFormat {
    /// Left-aligned columns separated by two spaces.
    public static func table(_ header: [String], _ rows: [[String]]) -> String {
        let all = [header] + rows.map { $0.map(TerminalText.line) }
        let widths = header.indices.map { i in all.map { $0[i].count }.max() ?? 0 }
        return all.map { r in r.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces) }.joined(separator: "\n")
    }

    public static func jobs(_ jobs: [JobInfo]) -> String {
        table(["ID", "NAME", "STATE", "RANKS", "PRIO", "STEP", "REASON"], jobs.map {
            [$0.id, $0.name, $0.state.rawValue, "\($0.ranks)", "\($0.priority)", $0.progress.map { "\($0.step)" } ?? "-", $0.reason ?? ""]
        })
    }

    public static func nodes(_ nodes: [NodeInfo]) -> String {
        table(["NODE", "HOST", "ADDRESS", "SLOTS", "USED", "LIVE"], nodes.map {
            [$0.name, $0.host, $0.address, "\($0.slots)", "\($0.used)", $0.live ? "yes" : "no"]
        })
    }

    public static func status(_ j: JobInfo) -> String {
        let t = TerminalText.line
        var lines = ["job \(t(j.id)) (\(t(j.name))): \(j.state.rawValue)"]
        if let r = j.reason { lines.append("  reason:     \(t(r))") }
        lines.append("  ranks:      \(j.ranks)   priority: \(j.priority)   attempts: \(j.attempts)")
        if !j.allocation.isEmpty { lines.append("  allocation: " + j.allocation.map { "\(t($0.node))×\($0.slots)" }.joined(separator: " ")) }
        if let p = j.progress {
            let of = j.totalSteps.map { "/\($0)" } ?? ""
            let eta = j.etaSeconds.map { "  ETA " + duration($0) } ?? ""
            lines.append(String(format: "  progress:   step %d%@  loss %.4f  %.0f samples/s%@", p.step, of, p.loss, p.samplesPerS, eta))
        }
        if let e = j.evaluation { lines.append("  evaluation: " + TerminalText.line(e.metric) + String(format: " %.4f at step %d", e.value, e.step)) }
        if let c = j.lastCheckpointStep { lines.append("  checkpoint: step \(c)" + (j.lastCheckpointPath.map { "  " + t($0) } ?? "")) }
        if let e = j.exitCode { lines.append("  exit code:  \(e)") }
        for a in j.history ?? [] {
            let place = a.allocation.map { "\(t($0.node))×\($0.slots)" }.joined(separator: " ")
            let from = a.startStep.map { $0 > 0 ? ", from step \($0)" : "" } ?? ""
            let end = a.outcome.map { o in o.rawValue + (a.reason.map { ": \(t($0))" } ?? "") } ?? "running"
            lines.append("  attempt \(a.number): \(a.ranks) rank\(a.ranks == 1 ? "" : "s") on \(place)\(from); \(end)")
        }
        return lines.joined(separator: "\n")
    }

    /// `seconds` as m:ss, or h:mm:ss from an hour on (as the trainer's progress bar writes it).
    static func duration(_ seconds: Double) -> String {
        let t = Int(seconds.rounded()), h = t / 3600, m = t / 60 % 60, s = t % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    public static func json<T: Encodable>(_ value: T) -> String {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: (try? e.encode(value)) ?? Data(), as: UTF8.self)
    }
}
