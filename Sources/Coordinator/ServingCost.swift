// Implements: ServingCost, the serving thread's CPU time per message type, kept as histograms for
// the metrics page (`cohort_serve_cpu_seconds`). A client's round trip also holds the time the
// threads on its path waited for a CPU, which on a machine whose cores are all busy is most of its
// tail; this is the part the coordinator's own work is to blame for, and what its cost bounds
// (docs/protocol.md, Serving cost) are about.
import Wire

struct ServingCost {
    /// Upper bounds in seconds: 0.1 ms to 0.5 s, dense around the 5 ms a submit is allowed.
    static let bounds = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5]

    /// By message type (`submit`, `heartbeat`, ...), or `invalid` for one that did not decode.
    private(set) var byType: [String: Histogram] = [:]

    mutating func observe(_ type: String, seconds: Double) {
        byType[type, default: Histogram(bounds: Self.bounds)].observe(seconds)
    }
}

extension Inbound {
    /// The label a message's serving cost is counted under.
    var costLabel: String {
        if case let .success((e, _))? = decoded { return e.kind.rawValue }
        return "invalid"
    }
}
