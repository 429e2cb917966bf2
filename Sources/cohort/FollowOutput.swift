// Implements: how the CLI prints a followed job's logs: the progress bar's redraws as they come
// on a terminal, whole plain lines on a pipe or file; and what Ctrl-C does while following a job
// it does not own (stops following, says so, leaves the job running).
import Foundation
import Wire

enum FollowOutput {
    /// Writes log text to stdout: as is on a terminal, flattened to whole lines otherwise.
    static func writer() -> (String) -> Void {
        let terminal = isatty(1) != 0
        return { s in
            let text = terminal ? s : LogText.plain(s)
            if !text.isEmpty { FileHandle.standardOutput.write(Data(text.utf8)) }
        }
    }

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
