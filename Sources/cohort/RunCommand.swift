// Implements: `cohort run -n N SPEC.yaml`: an embedded coordinator and local agent, one job
// submitted and followed, the job's outcome as the exit code.
import ArgumentParser
import Coordinator
import Foundation
import Spec
import Wire

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run one job on this machine through an embedded coordinator.",
                                                     discussion: "Ctrl-C (or SIGTERM) cancels the job: its ranks are stopped and the command exits 2.")
    @Option(name: .short, help: "Ranks (slots of the local node; default: the spec's parallel.ranks).") var n: Int?
    @Argument(help: "Job spec (YAML), e.g. cluster/jobs/fashion-mlp.yaml.") var spec: String
    @Flag(help: "Allow more ranks than this machine has cores.") var oversubscribe = false
    @Flag(help: "Keep the temporary state directory (database, hostfiles, rank logs).") var keepState = false

    func validate() throws {
        if let n, n < 1 || n > 4096 { throw ValidationError("-n must be in 1…4096, got \(n)") }
    }

    func run() throws {
        var text = try SpecFile.read(spec)
        let summary = try SpecSummary.parse(text, source: spec)
        let ranks = n ?? summary.ranks, cores = ProcessInfo.processInfo.activeProcessorCount
        if ranks > cores && !oversubscribe {
            throw LaunchError("\(ranks) ranks exceed the \(cores) cores of this machine; pass --oversubscribe to run them anyway")
        }
        if let n, n != summary.ranks { text = try SpecSummary.withRanks(text, n, source: spec) }
        // Checkpoints outlive the temporary state directory: the spec's checkpoint.dir taken from
        // the current directory, else checkpoints/<job name>, as `cohort train` does. Every attempt
        // resumes from the newest one there, so running the same spec again continues it.
        let cwd = FileManager.default.currentDirectoryPath
        let named = summary.checkpointDir ?? "checkpoints/\(summary.name)"
        let checkpoints = named.hasPrefix("/") ? named : cwd + "/" + named
        text = try SpecSummary.withCheckpointDir(text, checkpoints, source: spec)
        // The embedded daemons' routine events would bury the job's output: warnings only, unless asked.
        if EventLog.environmentLevel == nil { EventLog.threshold = .warn }
        let cluster = try EmbeddedCluster(slots: ranks, keepState: keepState, progressBar: isatty(1) != 0)
        defer { cluster.stop() }
        let client = CoordinatorClient(endpoint: cluster.endpoint)
        let job = try client.submit(spec: text)
        FileHandle.standardError.write(Data("job \(job.id) (\(job.name), \(job.ranks) ranks) on an embedded coordinator, state in \(cluster.stateDir)\n".utf8))
        // Ctrl-C or SIGTERM cancels the job (its ranks run in their own session and would
        // otherwise outlive us); following then ends with CANCELLED.
        signal(SIGINT, SIG_IGN); signal(SIGTERM, SIG_IGN)
        let endpoint = cluster.endpoint, id = job.id
        let sources = [SIGINT, SIGTERM].map { s -> DispatchSourceSignal in
            let src = DispatchSource.makeSignalSource(signal: s, queue: .global())
            src.setEventHandler { _ = try? CoordinatorClient(endpoint: endpoint).cancel(id) }
            src.resume()
            return src
        }
        defer { sources.forEach { $0.cancel() } }
        let end = try client.follow(job.id, out: FollowOutput.writer())
        FileHandle.standardError.write(Data("job \(end.id) \(end.state.rawValue)\(end.reason.map { ": \($0)" } ?? "")\n".utf8))
        if end.state == .succeeded { FileHandle.standardError.write(Data(Self.nextSteps(checkpoints: checkpoints, gpt: (try? JobSpec.parse(text, source: spec))?.isText ?? false).utf8)) }
        throw outcomeExitCode(end)
    }
}

extension RunCommand {
    /// What to do with the checkpoints, as commands that work when pasted (paths quoted for sh).
    static func nextSteps(checkpoints: String, gpt: Bool) -> String {
        let q = shellQuoted(checkpoints)
        var out = "checkpoints in \(checkpoints)\nmetrics in \(TrainCommand.metricsPath(checkpoints: checkpoints)) (JSON lines, one per epoch)\n"
        out += gpt ? "  sample:   cohort sample \(q)\n" : "  evaluate: cohort eval \(q)\n"
        out += "  export:   cohort export \(q) \(shellQuoted(checkpoints + ".f32"))\n"
        return out
    }

    static func shellQuoted(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "/._-+=:@".contains($0) } ? s : "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
