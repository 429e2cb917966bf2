// Implements: MPIRunCommand, the one builder of `mpirun` command lines (the coordinator's launch of
// an attempt and `cohort`'s own local launches), LaunchError for launches that cannot start, and
// the path of the running executable that both hand to mpirun as the rank program.
import Foundation

/// A launch that cannot start, with the reason.
public struct LaunchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

public struct MPIRunCommand: Sendable, Equatable {
    /// How ranks are pinned: `core` (one core each; only when they do not oversubscribe), `none`.
    public enum Binding: String, Sendable { case core, none }

    public var mpirun = "mpirun"
    public var ranks: Int
    /// A hostfile (`ADDRESS slots=N` lines); nil: this node only.
    public var hostfile: String?
    public var oversubscribe = false
    /// nil: mpirun's default.
    public var binding: Binding?
    /// Per-rank output files under this directory (`--output-filename`, stderr merged into stdout).
    public var outputDirectory: String?
    /// Variables exported to every rank (`-x NAME`; their values come from mpirun's environment).
    public var exports: [String] = []
    /// Further mpirun options, as given (e.g. `--mca` pairs).
    public var options: [String] = []
    public var program: String
    public var arguments: [String]

    public init(ranks: Int, program: String, arguments: [String]) {
        self.ranks = ranks; self.program = program; self.arguments = arguments
    }

    /// The command line, mpirun first.
    public var argv: [String] {
        var a = [mpirun]
        if getuid() == 0 { a.append("--allow-run-as-root") }  // OpenMPI refuses root without it
        if oversubscribe { a.append("--oversubscribe") }
        if let hostfile { a += ["--hostfile", hostfile] }
        a += ["-np", "\(ranks)"]
        if let binding { a += ["--bind-to", binding.rawValue] }
        if let outputDirectory { a += ["--output-filename", outputDirectory, "--merge-stderr-to-stdout"] }
        for v in exports { a += ["-x", v] }
        return a + options + [program] + arguments
    }

    /// The running executable (/proc/self/exe), which ranks run unless a config names another.
    /// When the binary was rebuilt or reinstalled under a running process, Linux names the old
    /// inode "PATH (deleted)"; ranks are launched from PATH (the new binary, which every node
    /// of a cluster has at that path), not from a name that no longer exists.
    public static func selfExecutable() -> String {
        guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return CommandLine.arguments[0] }
        let deleted = " (deleted)"
        guard path.hasSuffix(deleted) else { return path }
        return String(path.dropLast(deleted.count))
    }
}
