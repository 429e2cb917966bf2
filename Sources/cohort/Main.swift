// Implements: the `cohort` entry point: BLAS environment (re-exec once), parsing, and the one
// place that turns an error into an `error:` line, an optional `hint:` and an exit code.
import ArgumentParser
import Coordinator
import Data
import Foundation
import Tensor
import Train
import Wire

struct Cohort: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cohort",
        abstract: "Train models data-parallel across processes and nodes.",
        subcommands: [TrainCommand.self, RunCommand.self, EvalCommand.self, ExportCommand.self, BenchCommand.self,
                      CoordinatorCommand.self, AgentCommand.self, KeysCommand.self, SubmitCommand.self, StatusCommand.self,
                      ListCommand.self, LogsCommand.self, CancelCommand.self, NodesCommand.self, PlotCommand.self, SampleCommand.self,
                      MPIRunLineCommand.self])
}

@main
enum Main {
    static func main() {
        // OpenBLAS reads its core type when it loads, before main: fix the environment and
        // start again once (see BLASCore).
        BLASCore.reexecIfNeeded()
        var command: ParsableCommand
        do { command = try Cohort.parseAsRoot() } catch { Cohort.exit(withError: error) }
        do {
            try command.run()
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch let e as CleanExit {
            Cohort.exit(withError: e)
        } catch let e as ValidationError {
            Cohort.exit(withError: e)
        } catch where !(error is CustomStringConvertible) {
            // ArgumentParser's own requests (its built-in `help` subcommand throws one) and any
            // error without a description of its own: ArgumentParser renders them.
            Cohort.exit(withError: error)
        } catch {
            var text = "error: \(error)\n"
            if let hint = hint(for: error) { text += "hint: \(hint)\n" }
            FileHandle.standardError.write(Data(text.utf8))
            Foundation.exit(exitStatus(for: error))
        }
    }

    /// 3 when the coordinator could not be reached, 1 for every other runtime failure.
    static func exitStatus(for error: Error) -> Int32 {
        if case ClientError.unreachable = error { return 3 }
        return 1
    }

    /// The fix, where it is known.
    static func hint(for error: Error) -> String? {
        switch error {
        case DataError.notFound, DataError.missing:
            return "install Debian's \(FashionMNIST.debianPackage) (apt-get install \(FashionMNIST.debianPackage)) or pass --data DIR"
        case is SpecError:
            return "see cluster/jobs/ for example specs"
        case ClientError.unreachable:
            return "start one with 'cohort coordinator', or pass --coordinator ENDPOINT"
        case ClientError.refused:
            return "check --key and --server-key (default: $COHORT_KEY, $COHORT_SERVER_KEY); the coordinator admits the keys in its authorized_keys"
        case is KeyFileError:
            return "'cohort keys NAME' makes NAME.key (our key pair, for --key) and NAME.pub (a public key, for --server-key)"
        case let ClientError.rejected(code, _) where code == .unschedulable:
            return "add nodes ('cohort agent'), lower parallel.ranks, or submit with --wait-for-nodes"
        default:
            return nil
        }
    }
}
