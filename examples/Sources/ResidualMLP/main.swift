// A user's training program: a residual MLP on spirals, trained with Cohort's data parallelism.
//   mpirun -np 2 .build/release/ResidualMLP --batch 32 --steps 40 --zero 1 \
//       --checkpoints ckpt --every 20 [--resume] [--out params.bin]
// One rank with --batch 64 takes the same steps as two with --batch 32. Rank 0 prints the final
// loss and accuracy and writes the parameters (little-endian float32, layout order) to --out.
import Cohort
import Foundation

func option(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: "--" + name), i + 1 < args.count else { return nil }
    return args[i + 1]
}
let flag = { (name: String) in CommandLine.arguments.contains("--" + name) }

let ranks = try RankContext()
defer { ranks.finish() }
let width = Int(option("width") ?? "") ?? 64
let model = Sequential([Linear(2, width, relu: true), ResidualBlock(width: width), ResidualBlock(width: width),
                        Linear(width, 3)], inputShape: [2])
let train = Spirals.make(perClass: 400, seed: 1), test = Spirals.make(perClass: 100, seed: 2)
let checkpoints = option("checkpoints").map {
    TrainingLoop.Checkpoints(directory: $0, everySteps: Int(option("every") ?? ""), resume: flag("resume"),
                             description: "residual MLP, width \(width), on 3 spirals")
}
let loop = try TrainingLoop(model: model, data: train, ranks: ranks, batchPerRank: Int(option("batch") ?? "") ?? 32,
                            optimizer: .adam(beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, decoupled: false),
                            learningRate: 3e-3, zeroStage: Int(option("zero") ?? "") ?? 1, seed: 7, checkpoints: checkpoints)
let resumedAt = loop.stepsDone
let loss = try loop.run(steps: Int(option("steps") ?? "") ?? 40) ?? .nan
let (testLoss, accuracy) = try loop.evaluate(test)
if ranks.rank == 0 {
    print(String(format: "{\"ranks\": %d, \"resumed_at\": %d, \"steps\": %d, \"loss\": %.6f, \"test_loss\": %.6f, \"test_accuracy\": %.4f}",
                 loop.ranks, resumedAt, loop.stepsDone, loss, testLoss, accuracy))
    if let out = option("out") {
        let p = model.store.params
        try Data(buffer: UnsafeBufferPointer(start: p.pointer, count: model.parameterCount)).write(to: URL(fileURLWithPath: out))
    }
}
