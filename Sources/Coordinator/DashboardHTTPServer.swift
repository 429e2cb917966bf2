// Implements: HTTPServer, a small HTTP/1.0 responder on one IPv4 TCP socket for the metrics page
// and the dashboard: GET only, one request per connection (Connection: close), served one at a
// time on its own thread (scrapes and dashboard polls are rare and small). A request is read up to
// 16 KB with a 3 s timeout, so a silent client cannot hold the thread for long.
import Foundation

/// What a handler sees of a request.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, e.g. "/api/jobs/3".
    public var path: String
    public var query: [String: String]
    /// Header names in lower case.
    public var headers: [String: String]
    /// The peer's address is in 127.0.0.0/8.
    public var peerIsLoopback: Bool
}

public struct HTTPResponse: Sendable {
    public var status: Int
    public var contentType: String
    public var body: Data
    public init(status: Int = 200, contentType: String, body: Data) { self.status = status; self.contentType = contentType; self.body = body }
    public static func text(_ s: String, status: Int = 200) -> HTTPResponse {
        HTTPResponse(status: status, contentType: "text/plain; charset=utf-8", body: Data(s.utf8))
    }
}

/// The server cannot listen: the call and errno's text.
public struct HTTPServerError: Error, CustomStringConvertible {
    public let description: String
}

public final class HTTPServer: @unchecked Sendable {
    public let port: Int
    public let host: String
    private let fd: Int32
    private var running = true
    private let lock = NSLock()

    /// Binds `host`:`port` (an IPv4 address; 0 picks a port) and serves `handler` on a thread.
    /// - Throws: `HTTPServerError` naming the address and the OS reason.
    public init(host: String, port: Int, handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws {
        let h = host == "localhost" ? "127.0.0.1" : host
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(clamping: port).bigEndian)
        guard inet_pton(AF_INET, h, &addr.sin_addr) == 1, (0 ... 65535).contains(port) else {
            throw HTTPServerError(description: "cannot listen on \(host):\(port): not an IPv4 address and port")
        }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HTTPServerError(description: "socket failed: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        guard rc == 0, listen(fd, 16) == 0 else {
            let e = errno; close(fd)
            throw HTTPServerError(description: "cannot listen on \(h):\(port): \(String(cString: strerror(e)))")
        }
        var bound = sockaddr_in(), len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        self.fd = fd
        self.host = h
        self.port = Int(UInt16(bigEndian: bound.sin_port))
        let t = Thread { [self] in
            while self.isRunning {
                var peer = sockaddr_in(), plen = socklen_t(MemoryLayout<sockaddr_in>.size)
                let c = withUnsafeMutablePointer(to: &peer) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(self.fd, $0, &plen) } }
                if c < 0 { continue }
                let loopback = UInt32(bigEndian: peer.sin_addr.s_addr) >> 24 == 127
                Self.serve(c, loopback: loopback, handler)
                close(c)
            }
        }
        t.name = "http \(h):\(self.port)"
        t.start()
    }

    var isRunning: Bool { lock.lock(); defer { lock.unlock() }; return running }

    public func stop() {
        lock.lock(); running = false; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    private static func serve(_ c: Int32, loopback: Bool, _ handler: (HTTPRequest) -> HTTPResponse) {
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        var data = Data(), buf = [UInt8](repeating: 0, count: 4096)
        while data.count < 16384, data.range(of: Data("\r\n\r\n".utf8)) == nil {
            let n = read(c, &buf, buf.count)
            if n <= 0 { break }
            data.append(contentsOf: buf[0 ..< n])
        }
        let response: HTTPResponse
        if let request = parse(data, loopback: loopback) {
            response = request.method == "GET" || request.method == "HEAD" ? handler(request) : .text("only GET is served\n", status: 405)
        } else {
            response = .text("bad request\n", status: 400)
        }
        let reason = [200: "OK", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed",
                      421: "Misdirected Request", 502: "Bad Gateway"][response.status] ?? "Error"
        var out = Data("HTTP/1.0 \(response.status) \(reason)\r\nContent-Type: \(response.contentType)\r\nContent-Length: \(response.body.count)\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n".utf8)
        out.append(response.body)
        out.withUnsafeBytes { raw in
            var sent = 0
            while sent < raw.count {
                let n = send(c, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
                if n <= 0 { break }
                sent += n
            }
        }
    }

    /// The request line and headers, or nil when they are not HTTP.
    static func parse(_ data: Data, loopback: Bool) -> HTTPRequest? {
        let head = String(decoding: data, as: UTF8.self).components(separatedBy: "\r\n\r\n")[0]
        let lines = head.components(separatedBy: "\r\n")
        let parts = lines[0].split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/"), parts[1].hasPrefix("/") else { return nil }
        var headers: [String: String] = [:]
        for l in lines.dropFirst() {
            guard let i = l.firstIndex(of: ":") else { continue }
            headers[l[..<i].lowercased()] = l[l.index(after: i)...].trimmingCharacters(in: .whitespaces)
        }
        let target = String(parts[1])
        let comps = URLComponents(string: target)
        var query: [String: String] = [:]
        for item in comps?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        return HTTPRequest(method: String(parts[0]), path: comps?.path ?? target, query: query, headers: headers, peerIsLoopback: loopback)
    }
}
