// Implements: `cohort bench recovery`: workload W runs under an embedded coordinator with its default
// settings (heartbeats, back-off); a rank is SIGKILLed mid-run, repeatedly, and for each kill one
// JSON line says how long it took from the rank's death to the first optimizer step of the restarted
// attempt, and how many steps were lost (the step reached before the kill minus the checkpoint the
// restart resumed from).
import ArgumentParser
import Coordinator
import Foundation
import Wire

struct BenchRecovery: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "recovery",
                                                    abstract: "Time from a killed rank to training resumed, and the steps lost.")
    @Option(help: "Ranks of the job.") var ranks = 2
    @Option(help: "Checkpoint interval in steps.") var checkpointEvery = 20
    @Option(help: "Ranks to kill, one after the other (each after the job has resumed and run on).") var kills = 3
    @Option(help: "Rank to kill (1 … ranks−1; rank 0 also works).") var rank = 1
    @Option(help: "Directory of the Fashion-MNIST IDX files.") var data: String?

    func validate() throws {
        guard ranks >= 2 else { throw ValidationError("--ranks must be at least 2, got \(ranks)") }
        guard checkpointEvery >= 1 else { throw ValidationError("--checkpoint-every must be at least 1, got \(checkpointEvery)") }
        guard kills >= 1 else { throw ValidationError("--kills must be at least 1, got \(kills)") }
        guard (0 ..< ranks).contains(rank) else { throw ValidationError("--rank must be in 0…\(ranks - 1), got \(rank)") }
    }

    func run() throws {
        let cluster = try EmbeddedCluster(slots: ranks)
        defer { cluster.stop() }
        let client = CoordinatorClient(endpoint: cluster.endpoint)
        let spec = BenchRun.workload(name: "bench-recovery", ranks: ranks, data: data,
                                     more: "checkpoint: {every_steps: \(checkpointEvery), keep: 2}\nfault: {max_restarts: \(kills)}")
        let job = try client.submit(spec: spec).id
        defer { _ = try? client.cancel(job); _ = try? client.wait(job, timeout: 20) }
        var attempts = 1
        for k in 1 ... kills {
            // Let the attempt run past a few checkpoints, at a point that is not one of them.
            let target = (try client.status(job).progress?.step ?? 0) + 3 * checkpointEvery + checkpointEvery / 2
            let before = try waitFor(client, job, seconds: 300) { p in p.step >= target ? p : nil }
            guard let pid = Agent.rankProcesses().first(where: { $0.job == job && $0.rank == rank })?.pid else { throw LaunchError("rank \(rank) of job \(job) is not running") }
            kill(pid_t(pid), SIGKILL)
            let killed = Date()
            attempts += 1
            let attempt = try waitFor(client, job, seconds: 120) { _ in
                try client.status(job).history?.first { $0.number == attempts && $0.startStep != nil }
            }
            let resumed = attempt.startStep ?? 0
            let first = try waitFor(client, job, seconds: 120) { _ in
                try client.metrics(job).first { $0.step == resumed + 1 && $0.at > killed.timeIntervalSince1970 }
            }
            let previous = try client.status(job).history?.first { $0.number == attempts - 1 }
            var line: [String: Any] = [
                "bench": "recovery", "kill": k, "ranks": ranks, "checkpoint_every": checkpointEvery,
                "seconds_to_resume": first.at - killed.timeIntervalSince1970,
                "steps_lost": before.step - resumed, "killed_after_step": before.step, "resumed_from_step": resumed,
            ]
            if let end = previous?.finishedAt { line["seconds_to_detect"] = end - killed.timeIntervalSince1970 }
            line["seconds_to_launch"] = attempt.startedAt - killed.timeIntervalSince1970
            emitJSONLine(line)
        }
    }

    /// Polls every 5 ms until `check` returns a value (given the latest progress), or fails after `seconds`.
    func waitFor<T>(_ client: CoordinatorClient, _ job: String, seconds: Double, _ check: (ProgressPoint) throws -> T?) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            let s = try client.status(job)
            if s.state.isTerminal { throw LaunchError("job \(job) ended early: \(s.state.rawValue) \(s.reason ?? "")") }
            if let p = s.progress, let v = try check(p) { return v }
            usleep(5000)
        }
        throw LaunchError("job \(job) made no progress for \(Int(seconds)) s")
    }
}
