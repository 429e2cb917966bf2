// Implements: `cohort eval CKPT` and `cohort export CKPT OUT [--format raw|safetensors]`: a checkpoint (written by any
// number of ranks at any ZeRO stage) loaded into one process.
import ArgumentParser
import Checkpoint
import Data
import Durable
import Foundation
import NN
import Train

/// Options both commands share.
struct CheckpointArgument: ParsableArguments {
    @Argument(help: "A checkpoint directory (…/step-00001200), or a checkpoint root to take its newest valid one.")
    var checkpoint: String

    /// The verified checkpoint this names, loaded in the flat layout.
    func load() throws -> LoadedCheckpoint {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: checkpoint, isDirectory: &isDir), isDir.boolValue else {
            throw CheckpointError.notFound(checkpoint)
        }
        let root = FileManager.default.fileExists(atPath: checkpoint + "/manifest.json") ? nil : checkpoint
        let (path, manifest) = try CheckpointReader.resolve(root == nil ? checkpoint : "latest", directory: root ?? "",
                                                            log: { FileHandle.standardError.write(Data(("note: " + $0 + "\n").utf8)) })
        return try CheckpointReader.load(path, manifest: manifest)
    }
}

struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a checkpoint on the test set.")
    @OptionGroup var source: CheckpointArgument
    @Option(help: "Directory of the Fashion-MNIST IDX files.") var data: String?

    func run() throws {
        let c = try source.load()
        let spec = try JobSpec.parse(c.manifest.spec, source: c.path + "/manifest.json")
        let model = spec.makeModel()
        guard model.store.layout.entries == c.manifest.layout else {
            throw CheckpointError.incompatible("checkpoint \(c.path): its spec's model does not match its parameter layout")
        }
        c.params.withUnsafeBufferPointer { model.store.params.pointer.update(from: $0.baseAddress!, count: $0.count) }
        let test = try FashionMNIST.load(directory: FashionMNIST.directory(override: data ?? spec.data.path), train: false)
        let (loss, accuracy) = Evaluation.score(model, on: test)
        print(String(format: "%@ step %d: test accuracy %.4f, test loss %.4f", c.path, c.manifest.step, accuracy, loss))
    }
}

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Write a checkpoint's parameters alone.")
    @OptionGroup var source: CheckpointArgument
    @Argument(help: "Output file (docs/checkpoint-format.md).") var out: String
    @Option(help: "raw: little-endian float32 parameters in layout order, OUT.json the layout (offsets in elements); safetensors: one .safetensors file, the job spec in its __metadata__.")
    var format: String = "raw"

    func validate() throws {
        guard ["raw", "safetensors"].contains(format) else { throw ValidationError("--format must be raw or safetensors, got '\(format)'") }
    }

    func run() throws {
        let c = try source.load()
        if format == "safetensors" {
            let file = c.params.withUnsafeBufferPointer {
                SafeTensors(layout: c.manifest.layout, params: $0, metadata: ["format": "pt", "cohort_job": c.manifest.job,
                                                                              "cohort_step": "\(c.manifest.step)", "cohort_spec": c.manifest.spec])
            }
            try AtomicFile.write(file.encoded(), to: out)
            print("wrote \(c.params.count) parameters in \(file.tensors.count) tensors of \(c.path) to \(out) (safetensors, F32)")
            return
        }
        try AtomicFile.write(c.params.withUnsafeBufferPointer { Data(buffer: $0) }, to: out)
        let layout = ["format": "cohort-params-v1", "dtype": "float32-le", "step": c.manifest.step, "job": c.manifest.job,
                      "tensors": c.manifest.layout.map { ["name": $0.name, "shape": $0.shape, "offset": $0.offset] }] as [String: Any]
        try AtomicFile.write(try JSONSerialization.data(withJSONObject: layout, options: [.prettyPrinted, .sortedKeys]), to: out + ".json")
        print("wrote \(c.params.count) parameters of \(c.path) to \(out) (layout in \(out).json)")
    }
}
