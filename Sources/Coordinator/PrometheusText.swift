// Implements: PrometheusText, a writer of the Prometheus text exposition format 0.0.4 that cannot
// emit a sample without its family's HELP and TYPE lines: one call per family, gauges, counters
// (whose names must end in _total) and histograms (cumulative _bucket lines with le, +Inf, _sum
// and _count). Label values are escaped as the format requires (backslash, quote, newline).
import Foundation

public struct PrometheusText {
    public enum Kind: String { case gauge, counter }
    public typealias Labels = [(String, String)]

    public private(set) var text = ""
    public init() {}

    /// One family of gauges or counters; an empty `samples` still declares it.
    public mutating func family(_ name: String, _ kind: Kind, _ help: String, _ samples: [(Labels, Double)]) {
        precondition(kind == .counter ? name.hasSuffix("_total") : !name.hasSuffix("_total"), "\(name): _total is for counters only")
        header(name, kind.rawValue, help)
        for (labels, value) in samples { text += name + Self.labels(labels) + " " + Self.number(value) + "\n" }
    }

    /// A family with one unlabelled sample.
    public mutating func single(_ name: String, _ kind: Kind, _ help: String, _ value: Double) {
        family(name, kind, help, [([], value)])
    }

    /// A histogram family: per series the counts per upper bound (not cumulative), the sum and count.
    public mutating func histogram(_ name: String, _ help: String, bounds: [Double], _ series: [(Labels, Histogram)]) {
        header(name, "histogram", help)
        for (labels, h) in series {
            var cumulative = 0
            for (i, bound) in bounds.enumerated() {
                cumulative += h.counts[i]
                text += name + "_bucket" + Self.labels(labels + [("le", Self.number(bound))]) + " \(cumulative)\n"
            }
            text += name + "_bucket" + Self.labels(labels + [("le", "+Inf")]) + " \(h.count)\n"
            text += name + "_sum" + Self.labels(labels) + " " + Self.number(h.sum) + "\n"
            text += name + "_count" + Self.labels(labels) + " \(h.count)\n"
        }
    }

    private mutating func header(_ name: String, _ type: String, _ help: String) {
        let h = help.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\n", with: "\\n")
        text += "# HELP \(name) \(h)\n# TYPE \(name) \(type)\n"
    }

    static func labels(_ l: Labels) -> String {
        guard !l.isEmpty else { return "" }
        return "{" + l.map { k, v in
            k + "=\"" + v.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
                .replacingOccurrences(of: "\n", with: "\\n") + "\""
        }.joined(separator: ",") + "}"
    }

    /// Integers without a fraction, others in Swift's shortest round-tripping form, and the
    /// format's spellings of infinities and NaN.
    static func number(_ v: Double) -> String {
        if v.isNaN { return "NaN" }
        if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// Observations counted per bucket: `counts[i]` holds those in (bounds[i-1], bounds[i]].
public struct Histogram: Sendable {
    public private(set) var counts: [Int]
    public private(set) var sum = 0.0
    public private(set) var count = 0
    let bounds: [Double]

    public init(bounds: [Double]) { self.bounds = bounds; counts = Array(repeating: 0, count: bounds.count) }

    public mutating func observe(_ v: Double) {
        if let i = bounds.firstIndex(where: { v <= $0 }) { counts[i] += 1 }
        sum += v; count += 1
    }
}
