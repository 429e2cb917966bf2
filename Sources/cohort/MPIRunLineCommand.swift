// Implements: `cohort mpirun-line`, the mpirun command line of a direct launch as MPIRunCommand
// builds it (the builder the coordinator's Launcher uses too), printed for the scripts in launch/,
// which run what it prints; and, with --collective-variables, the collective settings as Collectives
// and as Wire's LaunchContract name them (a test checks the two lists are equal). Hidden from help:
// a tool of launch/, not a user command.
import ArgumentParser
import Collectives
import Foundation
import Tensor
import Wire

struct MPIRunLineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mpirun-line", abstract: "Print the mpirun command line of a direct launch, one NUL-terminated argument each.",
        shouldDisplay: false)
    @Option(help: "Ranks (-np).") var ranks: Int?
    @Option(help: "Hostfile (ADDRESS slots=K lines).") var hostfile: String?
    @Flag(help: "Allow more ranks than slots.") var oversubscribe = false
    @Option(help: "Binding: core or none (default: mpirun's).") var bind: String?
    @Flag(help: "Print the collective variables of Collectives and of LaunchContract as JSON instead.") var collectiveVariables = false
    @Argument(parsing: .captureForPassthrough, help: "The rank program and its arguments.") var command: [String] = []

    func validate() throws {
        if collectiveVariables { return }
        guard let ranks, ranks >= 1 else { throw ValidationError("--ranks must be a positive integer") }
        if let bind, MPIRunCommand.Binding(rawValue: bind) == nil { throw ValidationError("--bind must be core or none, got '\(bind)'") }
        if command.first == "--" ? command.count < 2 : command.isEmpty { throw ValidationError("missing the rank program after --") }
    }

    func run() throws {
        if collectiveVariables {
            let lists = ["collectives": CollectiveSettings.environmentNames, "launch_contract": LaunchContract.collectiveVariables]
            let e = JSONEncoder(); e.outputFormatting = .sortedKeys
            print(String(decoding: try e.encode(lists), as: UTF8.self))
            return
        }
        let argv = command.first == "--" ? Array(command.dropFirst()) : command
        let env = ProcessInfo.processInfo.environment
        var cmd = MPIRunCommand(ranks: ranks ?? 1, program: argv[0], arguments: Array(argv.dropFirst()))
        cmd.hostfile = hostfile
        cmd.oversubscribe = oversubscribe
        cmd.binding = bind.flatMap(MPIRunCommand.Binding.init(rawValue:))
        // Not the BLAS re-exec's mark: ranks started by a script choose their BLAS core themselves.
        cmd.exports = MPILauncher.forwarded.filter { env[$0] != nil && $0 != BLASCore.readyVariable }
        // Extra mpirun options, split at whitespace (e.g. an rsh agent for namespace nodes).
        cmd.options = (env["MPIRUN_ARGS"] ?? "").split(whereSeparator: \.isWhitespace).map(String.init)
        FileHandle.standardOutput.write(Data(cmd.argv.map { $0 + "\0" }.joined().utf8))
    }
}
