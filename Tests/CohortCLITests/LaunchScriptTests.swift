// The launch scripts refuse bad input with one clear line before starting anything.
import Foundation
import XCTest

final class LaunchScriptTests: XCTestCase {
    func script(_ name: String, _ args: [String]) throws -> CLIResult { try CLI.exec("/bin/bash", [CLI.root + "/launch/" + name] + args) }

    func testHostfileWithAnUnknownHostOrTooFewSlots() throws {
        let dir = CLI.tempDir()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let hosts = dir + "/hosts"
        try "127.0.0.1 slots=1\nno-such-host.invalid slots=2\n".write(toFile: hosts, atomically: true, encoding: .utf8)
        let unknown = try script("mpirun-hostfile.sh", [hosts, "2", "cluster/jobs/fashion-mlp.yaml"])
        XCTAssertEqual(unknown.status, 1)
        XCTAssertEqual(unknown.stderr, "error: hostfile \(hosts) names an unknown host 'no-such-host.invalid'\n")
        try "# one node\n127.0.0.1 slots=2\n".write(toFile: hosts, atomically: true, encoding: .utf8)
        let few = try script("mpirun-hostfile.sh", [hosts, "3", CLI.root + "/cluster/jobs/fashion-mlp.yaml"])
        XCTAssertEqual(few.stderr, "error: 3 ranks asked, but \(hosts) offers only 2 slots\n")
        let zero = try script("local.sh", ["0", CLI.root + "/cluster/jobs/fashion-mlp.yaml"])
        XCTAssertEqual(zero.status, 64)
        XCTAssertEqual(zero.stderr, "error: rank count must be a positive integer, got '0'\n")
        let slurm = try script("slurm.sbatch", [CLI.root + "/cluster/jobs/fashion-mlp.yaml"])
        XCTAssertEqual(slurm.stderr, "error: not inside a SLURM allocation (SLURM_NTASKS unset); use launch/local.sh\n")
    }
}
