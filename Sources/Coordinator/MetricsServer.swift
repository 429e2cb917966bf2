// Implements: MetricsServer, the coordinator's read-only HTTP endpoint on 127.0.0.1
// (metrics_port): the Prometheus text metrics (PrometheusMetrics.swift) at /metrics, the
// dashboard page at / and its JSON at /api/overview and /api/jobs/ID (DashboardData.swift),
// each behind DashboardAccess (loopback Host names only).
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
        updateDashboardSnapshot()
    }

    /// One request of the metrics port.
    func route(_ request: HTTPRequest, steps: StepTimes) -> HTTPResponse {
        func json(_ value: Any) -> HTTPResponse {
            let data = (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys])) ?? Data("{}".utf8)
            return HTTPResponse(contentType: "application/json", body: data)
        }
        let path = request.path
        do {
            switch path {
            case "/metrics":
                return HTTPResponse(contentType: "text/plain; version=0.0.4; charset=utf-8", body: Data(metricsText(steps: steps).utf8))
            case "/", "/index.html":
                return HTTPResponse(contentType: "text/html; charset=utf-8", body: Data(DashboardPage.html.utf8))
            case "/api/overview":
                return json(try dashboardOverview())
            default:
                if path.hasPrefix("/api/jobs/"), let id = Int64(path.dropFirst(10)) {
                    return try dashboardJob(id).map(json) ?? .text("no job \(id)\n", status: 404)
                }
                return .text("not found: the dashboard is at /, the metrics at /metrics\n", status: 404)
            }
        } catch {
            return .text("cannot read the state database: \(error)\n", status: 502)
        }
    }
}

final class MetricsServer: @unchecked Sendable {
    private var http: HTTPServer!
    var port: Int { http.port }
    /// Step times seen so far; only the HTTP thread touches it.
    private let steps: StepTimes
    /// What the loop thread publishes for the dashboard.
    let dashboard = DashboardState()

    /// Binds 127.0.0.1:`port` (0 picks one) and starts serving.
    /// - Throws: `HTTPServerError` naming the address and the OS reason.
    init(port: Int, coordinator: Coordinator) throws {
        steps = StepTimes(store: coordinator.store)
        let access = try DashboardAccess(host: "127.0.0.1", token: nil)
        http = try HTTPServer(host: "127.0.0.1", port: port) { [weak coordinator, steps] request in
            if let refusal = access.refusal(request) { return refusal }
            guard let coordinator else { return .text("the coordinator has stopped\n", status: 502) }
            return coordinator.route(request, steps: steps)
        }
    }

    func stop() { http.stop() }
}
