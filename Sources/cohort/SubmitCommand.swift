// Implements: `cohort submit SPEC.yaml`.
import ArgumentParser
import Coordinator
import Foundation
import Spec

struct SubmitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "submit", abstract: "Queue a job spec on the coordinator.",
                                                     discussion: "Ctrl-C during --follow stops following only: the job keeps running (stop it with 'cohort cancel ID').")
    @OptionGroup var cluster: ClusterOptions
    @Argument(help: "Job spec (YAML), e.g. cluster/jobs/fashion-mlp.yaml.") var spec: String
    @Option(help: "Queue priority; higher runs first (default: the spec's priority, else 0).") var priority: Int?
    @Flag(help: "Queue the job even if the cluster has fewer slots than it needs.") var waitForNodes = false
    @Flag(help: "Follow the logs until the job ends; exit 2 if it fails.") var follow = false

    func run() throws {
        let text = try SpecFile.read(spec)
        // Checked here too, so an error names the user's file (the coordinator knows only the text).
        _ = try JobSpec.parse(text, source: spec)
        _ = try SpecSummary.parse(text, source: spec)
        let job = try cluster.client.submit(spec: text, priority: priority, waitForNodes: waitForNodes)
        if cluster.json { print(TableFormat.json(job)) } else {
            print("submitted job \(job.id) (\(job.name), \(job.ranks) ranks): \(job.state.rawValue)")
            print("  cohort status \(job.id)\n  cohort logs \(job.id) --follow\n  cohort cancel \(job.id)")
        }
        fflush(stdout)  // the header before the streamed logs (print buffers on a pipe)
        guard follow else { return }
        FollowOutput.detachOnInterrupt(job: job.id)
        let end = try cluster.client.follow(job.id, out: FollowOutput.writer())
        print("job \(end.id) \(end.state.rawValue)\(end.reason.map { ": \($0)" } ?? "")")
        throw outcomeExitCode(end)
    }
}
