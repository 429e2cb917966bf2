// Implements: OpenBLAS core-type selection. OpenBLAS 0.3.21 reads OPENBLAS_CORETYPE once, when
// the library loads, and mis-detects some AVX-512 CPUs as "Prescott" (sgemm ~19 instead of
// ~105 GFLOP/s). So the best core type the CPU's flags support is chosen here and put in the
// environment before the library loads: by every launcher, or by `cohort` re-executing itself
// once. A user's own OPENBLAS_CORETYPE / OPENBLAS_NUM_THREADS always wins. Forcing a core type
// the CPU lacks kills the process with SIGILL, hence the choice comes from /proc/cpuinfo only.
import COpenBLAS
import Foundation

/// Choice of OpenBLAS kernel family and thread count for this process.
public enum BLASCore {
    /// Set in the environment once the BLAS variables are final (stops a second re-exec).
    public static let readyVariable = "COHORT_BLAS_READY"

    /// The core type to force for a CPU with these /proc/cpuinfo `flags` and `vendor`, best first;
    /// nil where OpenBLAS's own detection is as good (pre-AVX CPUs).
    /// Only names this OpenBLAS build ships kernels for are returned.
    public static func coreType(flags: Set<String>, vendor: String) -> String? {
        let avx512 = ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains)
        if avx512 && flags.contains("avx512_bf16") { return "COOPERLAKE" }
        if avx512 { return "SKYLAKEX" }
        if flags.contains("avx2") && flags.contains("fma") { return vendor == "AuthenticAMD" ? "ZEN" : "HASWELL" }
        if flags.contains("avx") { return "SANDYBRIDGE" }
        return nil
    }

    /// The flags and vendor of the first CPU in `cpuinfo` (the text of /proc/cpuinfo).
    public static func parseCPUInfo(_ cpuinfo: String) -> (flags: Set<String>, vendor: String) {
        var flags = Set<String>(), vendor = ""
        for line in cpuinfo.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let key = parts[0].trimmingCharacters(in: .whitespaces)
            if key == "flags" && flags.isEmpty {
                flags = Set(parts[1].split(separator: " ").map(String.init))
            } else if key == "vendor_id" && vendor.isEmpty {
                vendor = parts[1].trimmingCharacters(in: .whitespaces)
            }
            if !flags.isEmpty && !vendor.isEmpty { break }
        }
        return (flags, vendor)
    }

    /// The variables a process running Cohort's kernels should start with, given `environment`:
    /// the detected core type unless the user set one, and one BLAS thread unless set.
    public static func environment(adding environment: [String: String]) -> [String: String] {
        var env = environment
        if env["OPENBLAS_CORETYPE"] == nil,
           let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
            let cpu = parseCPUInfo(text)
            if let core = coreType(flags: cpu.flags, vendor: cpu.vendor) { env["OPENBLAS_CORETYPE"] = core }
        }
        if env["OPENBLAS_NUM_THREADS"] == nil { env["OPENBLAS_NUM_THREADS"] = "1" }
        env[readyVariable] = "1"
        return env
    }

    /// Re-executes this program once with `environment(adding:)` applied, unless already done.
    /// Returns (and the caller goes on with OpenBLAS's own choice) only if exec fails.
    public static func reexecIfNeeded() {
        let current = ProcessInfo.processInfo.environment
        guard current[readyVariable] == nil else { return }
        let wanted = environment(adding: current)
        for (k, v) in wanted where current[k] != v { setenv(k, v, 1) }
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", cargs)
        // exec failed: keep running with what the library already chose.
    }

    /// The kernel family OpenBLAS is using, as it names it ("Cooperlake", "Haswell", …).
    public static var activeCoreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// OpenBLAS's thread count for this process.
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
