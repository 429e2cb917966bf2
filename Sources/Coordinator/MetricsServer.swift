// Implements: MetricsServer, a tiny HTTP/1.0 responder on a loopback TCP socket serving the
// coordinator's Prometheus text metrics at any path (jobs by state, nodes, slots, step rate).
// One connection at a time on its own thread: scrapes are rare and the body is small.
import Foundation
import Wire

/// What the loop thread publishes for the metrics thread (guarded by Coordinator.lock).
struct MetricsSnapshot {
    var liveNodes = 0, totalSlots = 0, usedSlots = 0, requests = 0
}

extension Coordinator {
    func updateSnapshot() {
        let n = schedulerNodes()
        let s = MetricsSnapshot(liveNodes: n.count, totalSlots: n.reduce(0) { $0 + $1.total },
                                usedSlots: n.reduce(0) { $0 + $1.total - $1.free }, requests: requestsServed)
        metricsLock.lock(); snapshot = s; metricsLock.unlock()
    }

    /// The metrics page, Prometheus text exposition format 0.0.4.
    func metricsText() -> String {
        metricsLock.lock(); let s = snapshot; metricsLock.unlock()
        var out = "# HELP cohort_jobs Jobs by state.\n# TYPE cohort_jobs gauge\n"
        let counts = (try? store.countsByState()) ?? [:]
        for st in JobState.allCases { out += "cohort_jobs{state=\"\(st.rawValue)\"} \(counts[st] ?? 0)\n" }
        out += "# TYPE cohort_nodes_live gauge\ncohort_nodes_live \(s.liveNodes)\n"
        out += "# TYPE cohort_slots_total gauge\ncohort_slots_total \(s.totalSlots)\n"
        out += "# TYPE cohort_slots_used gauge\ncohort_slots_used \(s.usedSlots)\n"
        out += "# TYPE cohort_requests_total counter\ncohort_requests_total \(s.requests)\n"
        out += "# HELP cohort_stalls_total Messages that took over 100 ms to serve.\n# TYPE cohort_stalls_total counter\ncohort_stalls_total \(stallCount)\n"
        out += "# HELP cohort_job_samples_per_second Latest reported throughput of a running job.\n# TYPE cohort_job_samples_per_second gauge\n"
        for j in (try? store.jobPage(state: .running, after: nil, limit: 1000).rows) ?? [] {
            if let p = try? store.latestProgress(job: j.id) {
                out += "cohort_job_samples_per_second{job=\"\(j.id)\"} \(p.samplesPerS)\ncohort_job_step{job=\"\(j.id)\"} \(p.step)\n"
            }
        }
        return out
    }
}

/// The metrics endpoint cannot serve: the socket call and errno's text.
struct MetricsServerError: Error, CustomStringConvertible {
    let description: String
}

final class MetricsServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private var running = true
    private weak var coordinator: Coordinator?
    private let lock = NSLock()

    /// Binds 127.0.0.1:`port` (0 picks one) and starts serving.
    init(port: Int, coordinator: Coordinator) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        guard fd >= 0 else { throw MetricsServerError(description: "metrics: socket failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0, listen(fd, 16) == 0 else {
            let e = errno; close(fd)
            throw MetricsServerError(description: "metrics: cannot listen on 127.0.0.1:\(port): \(String(cString: strerror(e)))")
        }
        var bound = sockaddr_in(); var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        // (all stored properties are set below before the thread captures self)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.port = Int(UInt16(bigEndian: bound.sin_port))
        self.coordinator = coordinator
        let t = Thread { [self] in
            while self.isRunning {
                let c = accept(self.fd, nil, nil)
                if c < 0 { continue }
                var buf = [UInt8](repeating: 0, count: 4096)
                _ = read(c, &buf, buf.count)  // the request line; every path gets the metrics
                let body = self.coordinator?.metricsText() ?? ""
                let resp = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
                _ = resp.withCString { write(c, $0, strlen($0)) }
                close(c)
            }
        }
        t.start()
    }

    var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }

    func stop() {
        lock.lock(); running = false; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}
