// Implements: NamespaceNodes, K benchmark "nodes" on this machine (network namespaces on a
// bridge, launch/netns-cluster.sh), optionally with every link shaped to a rate, and the mpirun
// arguments that place one rank per node across them (../shared/multinode.md's recipe).
// Needs root and iproute2; the namespaces are removed by `down()` and on a failed `up`.
import Foundation
import Wire

struct NamespaceNodes {
    let name: String
    let count: Int
    /// tc's rate ("1gbit") or nil for unshaped veth links.
    let linkRate: String?
    let hostfile: String
    let subnet: String
    let script: String

    /// launch/netns-cluster.sh of the source tree this binary was built in (.build/<config>/cohort).
    static func script() throws -> String { try sourceFile("launch/netns-cluster.sh", for: "--nodes") }

    /// `relative` in the source tree this binary was built in, else in the current directory.
    static func sourceFile(_ relative: String, for option: String) throws -> String {
        let exe = URL(fileURLWithPath: MPIRunCommand.selfExecutable())
        let root = exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for candidate in [root.path, FileManager.default.currentDirectoryPath] {
            let s = candidate + "/" + relative
            if FileManager.default.fileExists(atPath: s) { return s }
        }
        throw LaunchError("\(option) needs \(relative) from Cohort's source tree (run from it, or use the binary built there)")
    }

    /// The nodes' addresses, in hostfile order (node 1 first).
    var addresses: [String] {
        ((try? String(contentsOfFile: hostfile, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { $0.split(separator: " ").first.map(String.init) }
    }

    /// Makes `count` nodes (names unique to this process) and shapes their links to `linkRate`.
    static func up(count: Int, linkRate: String?, dir: String) throws -> NamespaceNodes {
        guard getuid() == 0 else { throw LaunchError("--nodes makes network namespaces, which needs root") }
        let script = try script()
        let name = "cb\(getpid() % 100_000)"
        _ = try? sh(script, ["down", name])
        let up = try sh(script, ["up", name, "\(count)"])
        guard up.status == 0 else {
            _ = try? sh(script, ["down", name])
            throw LaunchError("netns-cluster.sh up failed: \(up.output)")
        }
        let hostfile = dir + "/hosts"
        try up.output.write(toFile: hostfile, atomically: true, encoding: .utf8)
        let subnet = up.output.split(separator: "\n")[0].split(separator: ".").prefix(3).joined(separator: ".") + ".0/24"
        let nodes = NamespaceNodes(name: name, count: count, linkRate: linkRate, hostfile: hostfile, subnet: subnet, script: script)
        if let linkRate {
            let shaped = try sh(script, ["shape", name, linkRate])
            guard shaped.status == 0 else { nodes.down(); throw LaunchError("cannot shape the links to \(linkRate): \(shaped.output)") }
        }
        return nodes
    }

    /// Places the ranks of `cmd` on these nodes, with the options a user types across real hosts
    /// plus the namespace work-arounds (../shared/multinode.md). `--bind-to none`: every node's
    /// daemon sees the whole machine and would pin its one rank to core 0, so all ranks of all
    /// nodes would share that one core.
    func configure(_ cmd: inout MPIRunCommand) {
        cmd.hostfile = hostfile
        cmd.binding = MPIRunCommand.Binding.none
        cmd.options += ["--mca", "plm_rsh_agent", "\(script) rsh", "--mca", "btl", "tcp,self",
                        "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", "\(name)-br,eth0",
                        "--mca", "rtc_hwloc_vmhole", "none", "--mca", "routed", "direct"]
    }

    func down() { _ = try? Self.sh(script, ["down", name]) }

    private static func sh(_ script: String, _ args: [String]) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["bash", script] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
