// Implements: `cohort train SPEC.yaml`: one rank of a job, alone or under mpirun.
import ArgumentParser
import Durable
import Foundation
import Train
import Wire

struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train the model a job spec describes.")

    @Argument(help: "Job spec (YAML), e.g. cluster/jobs/fashion-mlp.yaml.") var spec: String
    @Option(help: "Directory of the Fashion-MNIST IDX files (default: where dataset-fashion-mnist installs it), or the Shakespeare corpus file.") var data: String?
    @Option(help: "Write metrics as JSON lines to this file (rank 0).") var metrics: String?
    @Option(help: "Override train.epochs.") var epochs: Int?
    @Option(help: "Override train.max_steps: stop after this many steps.") var maxSteps: Int?
    @Option(help: "Override parallel.bucket_mb: gradient bucket size in MB.") var bucketMb: Double?
    @Option(help: "Override parallel.zero_stage: 0 (plain data-parallel), 1 (shard optimizer state; the default), 2 (and gradients).") var zeroStage: Int?
    @Option(help: "Checkpoint directory (default: the spec's checkpoint.dir, else checkpoints/<job name>).") var checkpointDir: String?
    @Option(help: "Resume from 'latest' (newest valid checkpoint), 'auto' (latest, or a fresh start if none) or a checkpoint directory.")
    var resume: String?
    @Option(help: "Override train.init_from: start from the weights of this safetensors file.") var initFrom: String?
    @Option(help: "Write the final parameters (raw little-endian float32) to PATH.rank<r>.") var dumpParams: String?
    @Option(help: "Write the run's summary (rank 0) as one JSON object to this file.") var summaryJson: String?
    @Flag(help: "After every step (with parallel.sync_every: every sync), check that all ranks hold bitwise identical parameters.") var checkReplicas = false
    @Flag(help: "Print plain progress lines even on a terminal.") var plain = false
    @Flag(help: "Draw the progress bar even when stderr is not a terminal (mpirun forwards it).") var bar = false
    @Option(help: "Job id, when launched by the coordinator.") var job: String?
    @Option(help: "Coordinator endpoint to report to, when launched by the coordinator.") var coordinator: String?

    func validate() throws {
        if let epochs, epochs < 1 { throw ValidationError("--epochs must be at least 1, got \(epochs)") }
        if let maxSteps, maxSteps < 1 { throw ValidationError("--max-steps must be at least 1, got \(maxSteps)") }
        if let bucketMb, !(bucketMb > 0) { throw ValidationError("--bucket-mb must be positive, got \(bucketMb)") }
        if let zeroStage, !(0...2).contains(zeroStage) { throw ValidationError("--zero-stage must be 0, 1 or 2, got \(zeroStage)") }
    }

    /// A rank the coordinator launched keeps its job's metrics next to the checkpoints:
    /// DIR.metrics.jsonl for checkpoint directory DIR (what `cohort run` and `status` point at).
    var launchedMetricsPath: String? {
        guard job != nil, let checkpointDir else { return nil }
        return Self.metricsPath(checkpoints: checkpointDir)
    }

    static func metricsPath(checkpoints: String) -> String {
        (checkpoints.hasSuffix("/") ? String(checkpoints.dropLast()) : checkpoints) + ".metrics.jsonl"
    }

    func run() throws {
        var job = try JobSpec.parse(try SpecFile.read(spec), source: spec)
        if let epochs {
            guard !job.isText else { throw ValidationError("--epochs: a gpt trains for train.steps; use --max-steps") }
            job.train.epochs = epochs
        }
        if let maxSteps { job.train.max_steps = maxSteps }
        if let initFrom { job.train.init_from = initFrom }
        let context = try RankContext()
        defer { context.finish() }
        // Launched by the coordinator: every rank heartbeats (so a hung or dead rank is noticed) and
        // is fenced when its attempt ends; rank 0 also reports hello, progress and checkpoints.
        var reporter: TrainerReporter?
        if let id = self.job, let coordinator {
            reporter = TrainerReporter(endpoint: coordinator, job: id, rank: context.comm?.rank ?? 0)
            reporter?.start()
        }
        defer { reporter?.stop() }
        let options = TrainOptions(
            dataDirectory: data, metricsPath: metrics ?? launchedMetricsPath, progress: plain ? .lines : bar ? .bar : Progress.automatic,
            bucketBytes: bucketMb.map { Int($0 * 1_048_576) }, zeroStage: zeroStage,
            checkpointDirectory: checkpointDir, resume: resume)
        let trainer: any TrainingRun
        if job.isText {
            let text = try TextTrainer(spec: job, options: options, comm: context.comm, worker: context.worker)
            text.onValidation = { [reporter] step, loss in
                print(String(format: "validation loss %.4f", loss) + " at step \(step)")
                fflush(stdout)
                reporter?.evaluation(step: step, metric: "val_loss", value: loss)
            }
            trainer = text
        } else {
            let image = try Trainer(spec: job, options: options, comm: context.comm, worker: context.worker)
            if context.comm?.rank ?? 0 == 0 { image.onEvaluation = { [reporter] in reporter?.evaluation(step: $0, metric: $1, value: $2) } }
            trainer = image
        }
        trainer.afterStep = { [checkReplicas] step in
            reporter?.setStep(step)
            if checkReplicas { try trainer.parallel.checkReplicasIdentical(step: step) }
        }
        if let reporter {
            reporter.hello(worldSize: trainer.ranks, startStep: trainer.startStep)
            if trainer.rank == 0 {
                trainer.onProgress = { step, loss, samplesPerSecond in reporter.progress(step: step, loss: loss, samplesPerSecond: samplesPerSecond) }
                trainer.checkpointer?.onCommit = { step, path in reporter.checkpointCommitted(step: step, path: path) }
            }
        }
        let summary = try trainer.run()
        if trainer.rank == 0 { reporter?.progress(step: summary.steps, loss: summary.finalLoss, samplesPerSecond: summary.samplesPerSecond) }
        if let dumpParams {
            let p = trainer.model.store.params
            try AtomicFile.write(Data(bytes: p.pointer, count: p.count * 4), to: "\(dumpParams).rank\(trainer.rank)")
        }
        guard trainer.rank == 0 else { return }
        if let summaryJson {
            var obj: [String: Any] = ["steps": summary.steps, "samples_per_s": summary.samplesPerSecond, "ranks": trainer.ranks,
                                      "final_loss": summary.finalLoss]
            if let a = summary.testAccuracy { obj["test_accuracy"] = a }
            if let s = summary.steadySamplesPerSecond { obj["steady_samples_per_s"] = s }
            if let h = summary.overlapHidden { obj["overlap_hidden"] = h }
            if let v = summary.validationLoss { obj["validation_loss"] = v }
            let timed = Double(max(1, summary.steps - Trainer.warmupSteps))
            obj["reduce_ms_per_step"] = trainer.parallel.reduceSeconds * 1000 / timed
            obj["wait_ms_per_step"] = trainer.parallel.waitSeconds * 1000 / timed
            let mem = trainer.parallel.memory
            obj["zero_stage"] = trainer.parallel.stage
            obj["shared_parameters"] = trainer.parallel.sharesParameters
            obj["param_bytes"] = mem.parameterBytes
            obj["grad_bytes"] = mem.gradientBytes
            obj["optimizer_bytes"] = mem.optimizerBytes
            if let c = trainer.checkpointer, c.lastBytes > 0 {
                obj["checkpoint_bytes_rank0"] = c.lastBytes
                obj["checkpoint_snapshot_ms"] = c.lastSnapshotSeconds * 1000
                obj["checkpoint_write_ms"] = c.lastWriteSeconds * 1000
                obj["checkpoint_commit_wait_ms"] = c.lastCommitWaitSeconds * 1000
            }
            try AtomicFile.write(try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys]), to: summaryJson)
        }
        if let v = summary.validationLoss {
            print(String(format: "final validation loss %.4f after %d steps (%.0f tokens/s)", v, summary.steps,
                         summary.samplesPerSecond * Double(job.model.context ?? 1)))
            return
        }
        let acc = summary.testAccuracy.map { String(format: "%.4f", $0) } ?? "n/a"
        var line = "final test accuracy \(acc) after \(summary.steps) steps (\(Int(summary.samplesPerSecond)) samples/s"
        if let h = summary.overlapHidden { line += String(format: ", %.0f%% of allreduce hidden by overlap", 100 * h) }
        print(line + ")")
    }
}
