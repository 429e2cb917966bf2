// Implements: `cohort train SPEC.yaml`.
import ArgumentParser
import Foundation
import Train
import Wire

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train the model a job spec describes.")

    @Argument(help: "Job spec (YAML), e.g. cluster/jobs/fashion-mlp.yaml.") var spec: String
    @Option(help: "Directory of the Fashion-MNIST IDX files (default: where dataset-fashion-mnist installs them).") var data: String?
    @Option(help: "Write metrics as JSON lines to this file.") var metrics: String?
    @Option(help: "Override train.epochs.") var epochs: Int?
    @Flag(help: "Print plain progress lines even on a terminal.") var plain = false
    @Option(help: "Job id, when launched by the coordinator.") var job: String?
    @Option(help: "Coordinator endpoint to report to, when launched by the coordinator.") var coordinator: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
    }

    func run() throws {
        var job = try JobSpec.load(path: spec)
        if let epochs { job.train.epochs = epochs }
        let trainer = try Trainer(spec: job, options: TrainOptions(
            dataDirectory: data, metricsPath: metrics, progress: plain ? .lines : Progress.automatic))
        // Launched by the coordinator: announce the rank and report the outcome (per-step progress
        // is the Train module's to add through the same TrainerReporter).
        let env = ProcessInfo.processInfo.environment
        let rank = Int(env["OMPI_COMM_WORLD_RANK"] ?? "") ?? 0
        var reporter: TrainerReporter?
        if let id = self.job, let coordinator { reporter = TrainerReporter(endpoint: coordinator, job: id, rank: rank) }
        reporter?.hello(worldSize: Int(env["OMPI_COMM_WORLD_SIZE"] ?? "") ?? 1)
        defer { reporter?.stop() }
        let summary = try trainer.run()
        reporter?.progress(step: summary.steps, loss: summary.finalLoss, samplesPerSecond: summary.samplesPerSecond)
        let acc = summary.testAccuracy.map { String(format: "%.4f", $0) } ?? "n/a"
        print("final test accuracy \(acc) after \(summary.steps) steps (\(Int(summary.samplesPerSecond)) samples/s)")
    }
}
