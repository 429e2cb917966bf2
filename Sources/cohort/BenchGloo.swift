// Implements: GlooRun, workload W under PyTorch DDP over Gloo (launch/pytorch/ddp_w.py) for the
// benchmarks that compare against it: one Python process per namespace node (or per rank on this
// node), rendezvous by env:// at node 1's address, GLOO_SOCKET_IFNAME=eth0 inside the namespaces
// (lo on this node), as users set it up. PyTorch is not a build or test dependency: without it
// in /usr/bin/python3 (or COHORT_GLOO_PYTHON, which names another interpreter), `check()` is one error.
import Foundation

enum GlooRun {
    static let python = ProcessInfo.processInfo.environment["COHORT_GLOO_PYTHON"] ?? "/usr/bin/python3"

    /// Throws unless /usr/bin/python3 imports torch with Gloo.
    static func check() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import torch.distributed as d; raise SystemExit(0 if d.is_gloo_available() else 1)"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { throw LaunchError("--vs-gloo needs \(python) with PyTorch (Debian: apt-get install python3-torch)") }
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw LaunchError("--vs-gloo needs PyTorch with Gloo in \(python) (Debian: apt-get install python3-torch)")
        }
    }

    /// Trains W for `steps` steps on `ranks` processes, one per node of `nodes` (or all on this
    /// node when nil), and returns rank 0's JSON line (aggregate samples/s after the warm-up).
    static func run(ranks: Int, nodes: NamespaceNodes?, steps: Int, data: String?) throws -> [String: Any] {
        let script = try NamespaceNodes.sourceFile("launch/pytorch/ddp_w.py", for: "--vs-gloo")
        let addresses = nodes?.addresses ?? Array(repeating: "127.0.0.1", count: ranks)
        guard addresses.count == ranks else { throw LaunchError("--vs-gloo: \(ranks) ranks on \(addresses.count) nodes") }
        // Each namespace has its own ports; on this node pick one per benchmark process.
        let port = nodes == nil ? 20_000 + Int(getpid()) % 20_000 : 29_500
        let out = Pipe()
        var procs: [Process] = []
        for (r, address) in addresses.enumerated() {
            let env = ["GLOO_SOCKET_IFNAME=\(nodes == nil ? "lo" : "eth0")", "MASTER_ADDR=\(addresses[0])", "MASTER_PORT=\(port)",
                       "RANK=\(r)", "WORLD_SIZE=\(ranks)", "OMP_NUM_THREADS=1", "OPENBLAS_NUM_THREADS=1"]
            let cmd = ["env"] + env + [python, script, "--steps", "\(steps)"] + (data.map { ["--data", $0] } ?? [])
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = nodes.map { ["bash", $0.script, "rsh", address] + cmd } ?? cmd
            p.standardOutput = r == 0 ? out : FileHandle.nullDevice
            try p.run()
            procs.append(p)
        }
        let text = out.fileHandleForReading.readDataToEndOfFile()
        for p in procs { p.waitUntilExit() }
        let failed = procs.firstIndex { $0.terminationStatus != 0 }
        guard failed == nil, let line = String(decoding: text, as: UTF8.self).split(separator: "\n").last,
              let obj = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], obj["samples_per_s"] is Double else {
            throw LaunchError("PyTorch DDP (Gloo) run on \(ranks) rank(s) failed\(failed.map { " (rank \($0) exit \(procs[$0].terminationStatus))" } ?? "")")
        }
        return obj
    }
}
