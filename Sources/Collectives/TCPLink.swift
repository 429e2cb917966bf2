// Implements: TCPLink, one connected TCP socket of the cross-node ring (non-blocking, no Nagle,
// large kernel buffers), with the listener and the address discovery that set the ring up.
// Why sockets and not MPI: OpenMPI 4.1's TCP path measured ~8 ms for any 4–64 KB allreduce and
// half the link's bandwidth between two nodes here, against ~0.1 ms and the full link for plain
// TCP (docs/collectives.md, "Across nodes"). MPI still starts the job and exchanges the
// addresses; only the ring's bulk traffic moves to these sockets.
import Foundation

/// One end of a TCP connection to a ring neighbour.
final class TCPLink {
    let fd: Int32
    /// The rank at the other end (for error messages).
    let peer: Int

    init(fd: Int32, peer: Int) throws {
        self.fd = fd
        self.peer = peer
        var one: Int32 = 1
        // Small messages (fingerprints, the last slice of a step) must not wait for an ACK.
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        // 4 MB each way: a 1 Gbit/s link with ~1 ms of queueing holds ~125 KB, a veth far more;
        // the kernel caps this at net.core.[rw]mem_max.
        var buffer: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw CollectiveError.link(peer: peer, what: "fcntl(O_NONBLOCK): \(errnoText())")
        }
    }

    deinit { close(fd) }

    /// The receive low-water mark last set (SO_RCVLOWAT; 1 is the kernel's default).
    private var lowWater = 1

    /// Has poll(2) report this socket readable only once `bytes` are queued (at least 1), so a
    /// receiver waiting for a large chunk wakes once per that many bytes, not per arriving
    /// segment. A non-blocking recv still returns whatever is queued.
    func setReceiveLowWater(_ bytes: Int) {
        let b = max(1, bytes)
        guard b != lowWater else { return }
        var v = Int32(clamping: b)
        if setsockopt(fd, SOL_SOCKET, SO_RCVLOWAT, &v, socklen_t(MemoryLayout<Int32>.size)) == 0 { lowWater = b }
    }

    /// Sends up to `count` bytes without blocking; returns the bytes taken (0 when the kernel buffer is full).
    func sendSome(_ bytes: UnsafeRawPointer, _ count: Int) throws -> Int {
        let n = Glibc.send(fd, bytes, count, Int32(MSG_DONTWAIT | MSG_NOSIGNAL))
        if n >= 0 { return n }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        throw CollectiveError.link(peer: peer, what: "send: \(errnoText())")
    }

    /// Receives up to `count` bytes without blocking; returns the bytes read (0 when none are there).
    func receiveSome(_ bytes: UnsafeMutableRawPointer, _ count: Int) throws -> Int {
        let n = recv(fd, bytes, count, Int32(MSG_DONTWAIT))
        if n > 0 { return n }
        if n == 0 { throw CollectiveError.link(peer: peer, what: "the connection was closed (the rank exited)") }
        if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR { return 0 }
        throw CollectiveError.link(peer: peer, what: "recv: \(errnoText())")
    }

    /// Sends all `count` bytes (set-up messages only), waiting at most until `deadline`.
    func sendAll(_ bytes: UnsafeRawPointer, _ count: Int, deadline: Double) throws {
        var done = 0
        while done < count {
            let n = try sendSome(bytes + done, count - done)
            done += n
            if n == 0 { try waitReady(events: Int16(POLLOUT), deadline: deadline) }
        }
    }

    /// Receives exactly `count` bytes (set-up messages only), waiting at most until `deadline`.
    func receiveAll(_ bytes: UnsafeMutableRawPointer, _ count: Int, deadline: Double) throws {
        setReceiveLowWater(1)
        var done = 0
        while done < count {
            let n = try receiveSome(bytes + done, count - done)
            done += n
            if n == 0 { try waitReady(events: Int16(POLLIN), deadline: deadline) }
        }
    }

    private func waitReady(events: Int16, deadline: Double) throws {
        let left = deadline - monotonicSeconds()
        guard left > 0 else { throw CollectiveError.link(peer: peer, what: "set-up timed out") }
        var p = pollfd(fd: fd, events: events, revents: 0)
        _ = poll(&p, 1, Int32(min(left, 1) * 1000) + 1)
    }
}

/// The IPv4 address (network byte order) and port a rank listens on for its left neighbour.
struct RingEndpoint: Equatable {
    var address: UInt32
    var port: UInt16
}

/// A listening socket on an ephemeral port of `address`.
func listenTCP(on address: UInt32) throws -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw CollectiveError.link(peer: -1, what: "socket: \(errnoText())") }
    var a = sockaddr_in()
    a.sin_family = sa_family_t(AF_INET)
    a.sin_addr.s_addr = address
    a.sin_port = 0
    let bound = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard bound == 0, listen(fd, 8) == 0 else {
        let e = errnoText(); close(fd)
        throw CollectiveError.link(peer: -1, what: "bind/listen on \(dottedQuad(address)): \(e)")
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
    return (fd, UInt16(bigEndian: a.sin_port))
}

/// Connects to `endpoint`, retrying until `deadline` (the neighbour may not listen yet).
func connectTCP(to endpoint: RingEndpoint, peer: Int, deadline: Double) throws -> Int32 {
    while true {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CollectiveError.link(peer: peer, what: "socket: \(errnoText())") }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_addr.s_addr = endpoint.address
        a.sin_port = endpoint.port.bigEndian
        let rc = withUnsafePointer(to: &a) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        if rc == 0 { return fd }
        let e = errnoText()
        close(fd)
        if monotonicSeconds() > deadline {
            throw CollectiveError.link(peer: peer, what: "connect to \(dottedQuad(endpoint.address)):\(endpoint.port): \(e)")
        }
        usleep(10_000)
    }
}

/// Accepts one connection on `listener`, waiting at most until `deadline`.
func acceptTCP(_ listener: Int32, peer: Int, deadline: Double) throws -> Int32 {
    while true {
        let left = deadline - monotonicSeconds()
        guard left > 0 else { throw CollectiveError.link(peer: peer, what: "no connection from the left neighbour in time") }
        var p = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        if poll(&p, 1, Int32(min(left, 1) * 1000) + 1) > 0 {
            let fd = accept(listener, nil, nil)
            if fd >= 0 { return fd }
        }
    }
}

/// The IPv4 address this rank offers its left neighbour: on the interface or subnet MPI's TCP
/// transport was told to use (`--mca btl_tcp_if_include`, which mpirun exports to ranks as
/// OMPI_MCA_btl_tcp_if_include), else the first non-loopback interface that is up, else loopback.
func ringAddress(environment: [String: String]) throws -> UInt32 {
    let include = (environment["OMPI_MCA_btl_tcp_if_include"] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    var list: UnsafeMutablePointer<ifaddrs>?
    guard getifaddrs(&list) == 0 else { throw CollectiveError.link(peer: -1, what: "getifaddrs: \(errnoText())") }
    defer { freeifaddrs(list) }
    var candidates: [(name: String, address: UInt32)] = []
    var p = list
    while let entry = p {
        defer { p = entry.pointee.ifa_next }
        guard let sa = entry.pointee.ifa_addr, sa.pointee.sa_family == sa_family_t(AF_INET),
              entry.pointee.ifa_flags & UInt32(IFF_UP) != 0 else { continue }
        let address = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { $0.pointee.sin_addr.s_addr }
        candidates.append((String(cString: entry.pointee.ifa_name), address))
    }
    if !include.isEmpty {
        for c in candidates where include.contains(where: { matches(c.name, c.address, $0) }) { return c.address }
    }
    let loopback = UInt32(0x7f00_0001).bigEndian
    return candidates.first { UInt32(bigEndian: $0.address) >> 24 != 127 }?.address ?? loopback
}

/// Whether an interface (by name or address) matches one `btl_tcp_if_include` entry: a name or a CIDR.
private func matches(_ name: String, _ address: UInt32, _ entry: String) -> Bool {
    let parts = entry.split(separator: "/")
    guard parts.count == 2, let bits = UInt32(parts[1]), bits <= 32 else { return name == entry }
    var net = in_addr()
    guard inet_pton(AF_INET, String(parts[0]), &net) == 1 else { return false }
    let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - bits)
    return UInt32(bigEndian: address) & mask == UInt32(bigEndian: net.s_addr) & mask
}

func dottedQuad(_ address: UInt32) -> String {
    let h = UInt32(bigEndian: address)
    return "\(h >> 24).\(h >> 16 & 255).\(h >> 8 & 255).\(h & 255)"
}

func errnoText() -> String { String(cString: strerror(errno)) }
