// Tests helper: a loopback TCP port for a coordinator that must come back on the same endpoint
// after a kill -9 (where `tcp://127.0.0.1:*` would give the restarted one another port).
import Foundation

enum FreePort {
    /// A port below Linux's ephemeral range (32768 up), so no connection another test makes takes
    /// it as its local port while the coordinator is down, and free now: tests run side by side.
    static func loopback() -> Int {
        for _ in 0 ..< 100 {
            let port = Int.random(in: 20000 ... 32000)
            if bindable(port) { return port }
        }
        return Int.random(in: 20000 ... 32000)
    }

    static func bindable(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
