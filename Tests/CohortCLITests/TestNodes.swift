// Tests helper: K "nodes" as network namespaces on a bridge (launch/netns-cluster.sh), made by the
// test and removed in `down()` (call it from a defer), and `mpirun` with one rank per node across
// them, as ../shared/multinode.md sets it up.
import Foundation
import XCTest

struct TestNodes {
    let name: String
    let script = CLI.root + "/launch/netns-cluster.sh"
    let hostfile: String
    let subnet: String

    /// Skips where namespaces cannot be made (not root, no iproute2) or W's data set is missing.
    static func available() throws {
        let haveIP = ["/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"].contains { FileManager.default.isExecutableFile(atPath: $0) }
        try XCTSkipUnless(getuid() == 0 && CLI.haveData && haveIP, "needs root, iproute2 and the data set")
    }

    static func sh(_ args: [String]) throws -> CLIResult { try CLI.exec("/usr/bin/env", args, environment: ["PMIX_MCA_gds": "hash"]) }

    /// Makes `count` nodes named after `name` (unique to the run); the hostfile goes into `dir`.
    init(name: String, count: Int, dir: String) throws {
        self.name = name
        _ = try? Self.sh(["bash", script, "down", name])
        let up = try Self.sh(["bash", script, "up", name, "\(count)"])
        guard up.status == 0 else { throw TestFailure("netns-cluster.sh up failed: \(up.stderr)") }
        hostfile = dir + "/hosts"
        try up.stdout.write(toFile: hostfile, atomically: true, encoding: .utf8)
        subnet = up.stdout.split(separator: "\n")[0].split(separator: ".").prefix(3).joined(separator: ".") + ".0/24"
    }

    /// mpirun's options for these nodes (before the first `-np`).
    var options: [String] {
        ["--allow-run-as-root", "--hostfile", hostfile,
         "--mca", "plm_rsh_agent", "\(script) rsh", "--mca", "btl", "tcp,self", "--mca", "rtc_hwloc_vmhole", "none",
         "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", "\(name)-br,eth0", "-x", "PMIX_MCA_gds"]
    }

    /// `mpirun -np ranks cohort args…` across the nodes (at most `limit` seconds).
    func mpirun(_ ranks: Int, _ args: [String], limit: Int = 180) throws -> CLIResult {
        try Self.launch(["timeout", "\(limit)", "mpirun"] + options + ["-np", "\(ranks)", CLI.binary] + args)
    }

    /// One rank per node, rank r with the variables `environments[r]` (mpirun's MPMD form).
    func mpirun(environments: [[String: String]], _ args: [String], limit: Int = 180) throws -> CLIResult {
        var cmd = ["timeout", "\(limit)", "mpirun"] + options
        for (r, env) in environments.enumerated() {
            if r > 0 { cmd.append(":") }
            cmd += ["-np", "1"] + env.sorted { $0.key < $1.key }.flatMap { ["-x", "\($0.key)=\($0.value)"] } + [CLI.binary] + args
        }
        return try Self.launch(cmd)
    }

    /// Runs an mpirun command line, again (twice at most) when its daemons failed to make their
    /// session directory on these nodes (exit 213, before any rank ran), as `cohort`'s own
    /// launcher does: that failure is the machine's, not the code's under test.
    static func launch(_ cmd: [String]) throws -> CLIResult {
        var r = try sh(cmd)
        for _ in 1 ... 2 where r.status == 213 { r = try sh(cmd) }
        return r
    }

    func down() { _ = try? Self.sh(["bash", script, "down", name]) }
}
