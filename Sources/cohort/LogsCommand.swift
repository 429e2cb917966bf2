// Implements: `cohort logs ID [--follow] [--rank r]`.
import ArgumentParser
import Coordinator
import Foundation

struct LogsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logs", abstract: "Print a job's rank output.",
                                                     discussion: "Ctrl-C during --follow stops following only: the job keeps running (stop it with 'cohort cancel ID').")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Job id, as printed by 'cohort submit'.") var job: String
    @Option(help: "Only this rank, without the [rank] prefix.") var rank: Int?
    @Flag(help: "Keep printing until the job ends; exit 2 if it fails.") var follow = false

    func validate() throws {
        if let rank, rank < 0 { throw ValidationError("--rank must be ≥ 0, got \(rank)") }
    }

    func run() throws {
        let write = FollowOutput.writer()
        if follow {
            FollowOutput.detachOnInterrupt(job: job)
            throw outcomeExitCode(try cluster.client.follow(job, rank: rank, out: write))
        }
        var offsets: [Int] = [], any = false
        while true {  // one reply carries at most 512 KiB
            let chunk = try cluster.client.logs(job, rank: rank, offsets: offsets)
            write(chunk.text)
            if chunk.text.isEmpty { break }
            any = true
            offsets = chunk.offsets
        }
        // An empty answer looks like a failure; say why it is empty (only rank 0 reports progress).
        if !any, let rank {
            FileHandle.standardError.write(Data("note: rank \(rank) of job \(job) has printed nothing yet\(rank > 0 ? " (only rank 0 prints progress and results; errors show on any rank)" : "")\n".utf8))
        }
    }
}
