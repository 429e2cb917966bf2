// Implements: DashboardProxy, `cohort dashboard`: serves the coordinator's dashboard and metrics
// (its loopback-only metrics port on this machine) on another address, behind DashboardAccess.
// It forwards GET of the page, its JSON and /metrics, nothing else, and never the token.
import Foundation

public final class DashboardProxy: @unchecked Sendable {
    private var http: HTTPServer!
    public var port: Int { http.port }
    public var host: String { http.host }

    /// - Parameters:
    ///   - host, port: where to listen (0 picks a port).
    ///   - token: required beyond loopback; every request must then carry it.
    ///   - metricsPort: the coordinator's metrics_port on 127.0.0.1.
    /// - Throws: `HTTPServerError` for a non-loopback address without a token, or one it cannot bind.
    public init(host: String, port: Int, token: String?, metricsPort: Int) throws {
        let access = try DashboardAccess(host: host, token: token)
        http = try HTTPServer(host: host, port: port) { request in
            if let refusal = access.refusal(request) { return refusal }
            let p = request.path
            guard p == "/" || p == "/index.html" || p == "/metrics" || p == "/api/overview" || p.hasPrefix("/api/jobs/"),
                  p.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
                return .text("not found: the dashboard is at /, the metrics at /metrics\n", status: 404)
            }
            return Self.forward(p, port: metricsPort)
        }
    }

    public func stop() { http.stop() }

    /// GET `path` from 127.0.0.1:`port`; a 502 naming the OS reason when the coordinator does not answer.
    static func forward(_ path: String, port: Int) -> HTTPResponse {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return .text("502: socket: \(String(cString: strerror(errno)))\n", status: 502) }
        defer { close(fd) }
        var tv = timeval(tv_sec: 10, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0 else {
            return .text("502: the coordinator's metrics port 127.0.0.1:\(port) does not answer: \(String(cString: strerror(errno)))\n", status: 502)
        }
        let request = "GET \(path) HTTP/1.0\r\nHost: 127.0.0.1:\(port)\r\n\r\n"
        _ = request.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        var data = Data(), buf = [UInt8](repeating: 0, count: 65536)
        while true { let n = read(fd, &buf, buf.count); if n <= 0 { break }; data.append(contentsOf: buf[0 ..< n]) }
        guard let split = data.range(of: Data("\r\n\r\n".utf8)) else { return .text("502: no HTTP reply from 127.0.0.1:\(port)\n", status: 502) }
        let head = String(decoding: data[..<split.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let status = Int(head[0].split(separator: " ").dropFirst().first ?? "") ?? 502
        let type = head.first { $0.lowercased().hasPrefix("content-type:") }.map { String($0.dropFirst(13)).trimmingCharacters(in: .whitespaces) }
        return HTTPResponse(status: status, contentType: type ?? "text/plain", body: Data(data[split.upperBound...]))
    }
}
