// Tests helper: one HTTP/1.0 GET over a plain socket to an IPv4 address, returning the status
// code, the headers and the body (what the metrics page and the dashboard tests read).
import Foundation
import XCTest

struct HTTPReply {
    var status: Int
    var head: String
    var body: String
}

func httpFetch(_ host: String = "127.0.0.1", port: Int, path: String, headers: [String: String] = [:]) throws -> HTTPReply {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr(host)
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0 else { throw FetchFailure(message: "connect \(host):\(port): \(String(cString: strerror(errno)))") }
    var request = "GET \(path) HTTP/1.0\r\nHost: \(host):\(port)\r\n"
    for (k, v) in headers { request += "\(k): \(v)\r\n" }
    _ = (request + "\r\n").withCString { write(fd, $0, strlen($0)) }
    var out = Data(), buf = [UInt8](repeating: 0, count: 4096)
    while true { let n = read(fd, &buf, buf.count); if n <= 0 { break }; out.append(contentsOf: buf[0 ..< n]) }
    let text = String(decoding: out, as: UTF8.self)
    let parts = text.components(separatedBy: "\r\n\r\n")
    let status = Int(parts[0].split(separator: " ").dropFirst().first ?? "") ?? 0
    return HTTPReply(status: status, head: parts[0], body: parts.dropFirst().joined(separator: "\r\n\r\n"))
}

/// Runs `args` (a tool on PATH) with `input` on stdin; returns (status, stdout + stderr).
func runTool(_ args: [String], input: String = "") throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    let inPipe = Pipe(), outPipe = Pipe()
    p.standardInput = inPipe; p.standardOutput = outPipe; p.standardError = outPipe
    try p.run()
    inPipe.fileHandleForWriting.write(Data(input.utf8))
    try inPipe.fileHandleForWriting.close()
    let data = outPipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

struct FetchFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
