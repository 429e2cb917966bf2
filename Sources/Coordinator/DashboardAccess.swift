// Implements: DashboardAccess, who may read the dashboard and the metrics. Bound to loopback, any
// local client may, but only under a loopback Host name (127.x.x.x, localhost, [::1]): a web page
// elsewhere cannot reach it through DNS rebinding. Bound to any other address, a token is
// required, and every request must carry it (Authorization: Bearer, or ?token= for the first
// page load); without it the answer is 401, and a wrong one 403. Tokens compare in constant time.
import Foundation

public struct DashboardAccess: Sendable {
    public let token: String?
    public let loopbackOnly: Bool

    /// - Throws: `HTTPServerError` when `host` is not loopback and there is no token, or the token is too short.
    public init(host: String, token: String?) throws {
        loopbackOnly = Self.isLoopback(host)
        let t = token?.trimmingCharacters(in: .whitespacesAndNewlines)
        if let t, t.utf8.count < 16 {
            throw HTTPServerError(description: "the dashboard token has \(t.utf8.count) characters; use at least 16 (e.g. openssl rand -hex 16)")
        }
        guard loopbackOnly || t != nil else {
            throw HTTPServerError(description: "serving the dashboard on \(host), beyond loopback, needs a token (--token-file FILE or $COHORT_DASHBOARD_TOKEN)")
        }
        self.token = t
    }

    static func isLoopback(_ host: String) -> Bool { host == "localhost" || host.hasPrefix("127.") }

    /// nil when `request` may be served, else the refusal.
    public func refusal(_ request: HTTPRequest) -> HTTPResponse? {
        if let token {
            var given = request.query["token"]
            if let auth = request.headers["authorization"], auth.hasPrefix("Bearer ") { given = String(auth.dropFirst(7)) }
            guard let given else { return .text("401: this dashboard needs its token (Authorization: Bearer TOKEN, or ?token=TOKEN)\n", status: 401) }
            guard Self.constantTimeEqual(given, token) else { return .text("403: wrong token\n", status: 403) }
            return nil
        }
        guard request.peerIsLoopback else { return .text("403: this dashboard serves loopback only\n", status: 403) }
        let name = (request.headers["host"] ?? "127.0.0.1").lowercased()
        let bare = name.hasPrefix("[") ? String(name.prefix { $0 != "]" }) + "]" : String(name.prefix { $0 != ":" })
        guard Self.isLoopback(bare) || bare == "[::1]" else { return .text("403: Host \(bare) is not a loopback name\n", status: 403) }
        return nil
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var diff = UInt8(x.count == y.count ? 0 : 1)
        for i in 0 ..< max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
        return diff == 0
    }
}
