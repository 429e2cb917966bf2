// Implements: how the CLI prints a followed job's logs: the progress bar's redraws as they come
// on a terminal, whole plain lines on a pipe or file; and what Ctrl-C does while following a job
// it does not own (stops following, says so, leaves the job running).
import Foundation
import Wire

enum FollowOutput {
    /// Writes log text to stdout: as is on a terminal; otherwise flattened to whole lines, plus,
    /// every 5 s while a bar moves, its latest redraw as a plain line ("[0] epoch 1/2 step 60/118 …").
    static func writer() -> (String) -> Void {
        let terminal = isatty(1) != 0
        let last = Clock()
        return { s in
            var text = terminal ? s : LogText.plain(s)
            if !terminal, let bar = LogText.pendingRedraw(s), Date().timeIntervalSince(last.at) >= 5 {
                text += unbarred(bar) + "\n"
                last.at = Date()
            }
            if !text.isEmpty { FileHandle.standardOutput.write(Data(text.utf8)) }
        }
    }

    /// A bar redraw as a plain line: its run of bar cells becomes "step".
    static func unbarred(_ line: String) -> String {
        line.replacingOccurrences(of: "[█·]+ ", with: "step ", options: .regularExpression)
    }

    private final class Clock: @unchecked Sendable { var at = Date() }

    /// Until the process exits, Ctrl-C (SIGINT) ends it with 130 after one line saying the job
    /// keeps running and how to stop it.
    static func detachOnInterrupt(job: String) {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler {
            let text = (isatty(1) != 0 ? "\r\u{1B}[2K" : "") + "stopped following job \(job); it keeps running (stop it with 'cohort cancel \(job)')\n"
            FileHandle.standardError.write(Data(text.utf8))
            Foundation.exit(130)
        }
        source.resume()
        detached = source
    }

    nonisolated(unsafe) private static var detached: DispatchSourceSignal?
}
