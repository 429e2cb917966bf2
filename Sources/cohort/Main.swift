// Implements: the `cohort` entry point: BLAS environment (re-exec once), parsing ("did you mean"
// for a mistyped subcommand), and the one place that turns an error into an `error:` line, an
// optional `hint:` and an exit code (Foundation's errors as the file and the OS reason).
import ArgumentParser
import Checkpoint
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
        version: "cohort \(Cohort.version) (control protocol v\(WireProtocol.version))",
        subcommands: [TrainCommand.self, RunCommand.self, EvalCommand.self, ExportCommand.self, BenchCommand.self,
                      CoordinatorCommand.self, AgentCommand.self, KeysCommand.self, SubmitCommand.self, StatusCommand.self,
                      ListCommand.self, LogsCommand.self, CancelCommand.self, NodesCommand.self, PlotCommand.self, SampleCommand.self,
                      DashboardCommand.self, MPIRunLineCommand.self])
    static let version = "0.1.0"
}

@main
enum Main {
    static func main() {
        // OpenBLAS reads its core type when it loads, before main: fix the environment and
        // start again once (see BLASCore).
        BLASCore.reexecIfNeeded()
        var command: ParsableCommand
        rejectUnknownSubcommand()
        do { command = try Cohort.parseAsRoot() } catch { Cohort.exit(withError: error) }
        do {
            try command.run()
        } catch let e as ExitCode {
            Foundation.exit(e.rawValue)
        } catch let e as CleanExit {
            Cohort.exit(withError: e)
        } catch let e as ValidationError {
            Cohort.exit(withError: e)
        } catch where !(error is CustomStringConvertible) && !FoundationErrorText.isFoundation(error) {
            // ArgumentParser's own requests (its built-in `help` subcommand throws one) and any
            // error without a description of its own: ArgumentParser renders them.
            Cohort.exit(withError: error)
        } catch {
            var text = "error: \(FoundationErrorText.clean(error))\n"
            if let hint = hint(for: error) { text += "hint: \(hint)\n" }
            FileHandle.standardError.write(Data(text.utf8))
            Foundation.exit(exitStatus(for: error))
        }
    }

    /// A first argument that is no subcommand: one error line and the nearest names, exit 64
    /// (ArgumentParser would print the whole usage).
    static func rejectUnknownSubcommand() {
        let args = CommandLine.arguments.dropFirst()
        guard let first = args.first, !first.hasPrefix("-") else { return }
        let names = Cohort.configuration.subcommands.map { $0.configuration.commandName ?? "" } + ["help"]
        guard !names.contains(first) else { return }
        var text = "error: unknown subcommand '\(TerminalText.line(String(first.prefix(80))))'\n"
        let near = Suggestion.nearest(first, in: names)
        text += near.isEmpty ? "hint: 'cohort --help' lists the subcommands\n" : "hint: did you mean \(near.map { "'\($0)'" }.joined(separator: " or "))?\n"
        FileHandle.standardError.write(Data(text.utf8))
        Foundation.exit(64)
    }

    /// 3 when the coordinator could not be reached; for a rank the coordinator launched, 78
    /// (EX_CONFIG) when its spec, data or initial weights are refused, so the job fails at once
    /// instead of restarting; 1 for every other runtime failure.
    static func exitStatus(for error: Error) -> Int32 {
        if case ClientError.unreachable = error { return 3 }
        if ProcessInfo.processInfo.environment[LaunchContract.jobIDVariable] != nil,
           error is SpecError || error is SpecFileError || error is DataError || error is SafeTensorsError {
            return LaunchContract.configErrorExitStatus
        }
        return 1
    }

    /// The fix, where it is known.
    static func hint(for error: Error) -> String? {
        switch error {
        case DataError.notFound, DataError.missing:
            // A rank the coordinator launched has no command line of the user's: the spec's data.path is the knob there.
            let launched = ProcessInfo.processInfo.environment[LaunchContract.jobIDVariable] != nil
            return "install Debian's \(FashionMNIST.debianPackage) (apt-get install \(FashionMNIST.debianPackage)) "
                + (launched ? "on every node the job runs on, or set data.path in the job spec" : "or pass --data DIR")
        case let e as HintedError:
            return e.hint
        case is SpecError, is SpecFileError:
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

/// A file the command could not read or write: the file, what it is, and the OS reason.
struct CLIFileError: Error, CustomStringConvertible {
    let path: String, what: String, error: Error
    var description: String { "cannot use \(what) \(path): \(FoundationErrorText.reason(error))" }
}

/// Foundation's errors as people read them: the OS reason (strerror) and the file, never
/// "Error Domain=NSCocoaErrorDomain Code=…" text.
enum FoundationErrorText {
    /// The reason of one error: the POSIX errno's text where Foundation kept it.
    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(ns.code))) }
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, u.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(u.code))) }
        guard ns.domain == NSCocoaErrorDomain else { return "\(error)" }
        return cocoaReason(ns.code)
    }

    static func cocoaReason(_ code: Int) -> String {
        if code == 3840 { return "not valid JSON (truncated or corrupt)" }  // NSPropertyListReadCorruptError, what JSONSerialization throws
        switch CocoaError.Code(rawValue: code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: return String(cString: strerror(ENOENT))
        case .fileReadNoPermission, .fileWriteNoPermission: return String(cString: strerror(EACCES))
        case .fileWriteOutOfSpace: return String(cString: strerror(ENOSPC))
        case .fileWriteVolumeReadOnly: return String(cString: strerror(EROFS))
        case .fileWriteFileExists: return String(cString: strerror(EEXIST))
        case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding: return "not valid UTF-8 text"
        case .fileReadCorruptFile, .propertyListReadCorrupt: return "the contents are not in the expected format (truncated or corrupt)"
        case .fileReadTooLarge: return "the file is too large"
        case .fileWriteUnknown: return "cannot write the file"
        case .fileReadUnknown: return "cannot read the file"
        default: return "file operation failed (code \(code))"
        }
    }

    /// `error`'s text with every Foundation error rendering in it replaced by its reason, and a
    /// top-level Foundation error as its file and reason.
    static func clean(_ error: Error) -> String {
        let ns = error as NSError
        if isFoundation(error) {
            let file = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
            return (file.map { "\($0): " } ?? "") + reason(error)
        }
        return cleanText("\(error)")
    }

    static func isFoundation(_ error: Error) -> Bool {
        let domain = (error as NSError).domain
        return domain == NSCocoaErrorDomain || domain == NSPOSIXErrorDomain
    }

    /// Rewrites `Error Domain=D Code=N "…" UserInfo={…}` and `(D error N.)` inside a message.
    static func cleanText(_ text: String) -> String {
        var s = text
        // Foundation's rendering: Error Domain=D Code=N "text" UserInfo={NSDebugDescription=detail, …}
        let patterns = [#"Error Domain=(NSCocoaErrorDomain|NSPOSIXErrorDomain) Code=(\d+)(?: "[^"]*")?\s*(?:UserInfo=\{(?:NSDebugDescription=([^,{}]*))?[^{}]*(?:\{[^{}]*\}[^{}]*)*\})?"#,
                        #"\((NSCocoaErrorDomain|NSPOSIXErrorDomain) error (\d+)\.\)"#]
        for p in patterns {
            guard let re = try? NSRegularExpression(pattern: p) else { continue }
            for m in re.matches(in: s, range: NSRange(s.startIndex..., in: s)).reversed() {
                guard let r = Range(m.range, in: s), let d = Range(m.range(at: 1), in: s), let c = Range(m.range(at: 2), in: s), let code = Int(s[c]) else { continue }
                var reason = s[d] == "NSPOSIXErrorDomain" ? String(cString: strerror(Int32(code))) : cocoaReason(code)
                if m.numberOfRanges > 3, let detail = Range(m.range(at: 3), in: s) { reason += " (" + s[detail].trimmingCharacters(in: .whitespaces) + ")" }
                s.replaceSubrange(r, with: reason)
            }
        }
        return s
    }
}
