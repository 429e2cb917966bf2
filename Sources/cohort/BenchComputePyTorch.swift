// Implements: PyTorchPeer, PyTorch's version of a compute workload (launch/pytorch/*.py) kept
// running beside `cohort bench compute --vs-pytorch`, so that both are timed in the same run, in
// alternating rounds. The script warms up, prints one line, then times "run N" requests:
//   cohort → python: "run N\n";  python → cohort: {"steps": N, "seconds": s}\n
// One thread on both sides (the script sets OpenBLAS's, OpenMP's and torch's thread counts to 1).
import Foundation
import Wire

final class PyTorchPeer {
    let process = Process()
    private let input = Pipe(), output = Pipe()
    private var buffer = Data()

    /// Starts `python script serve extra…` and waits for its warm-up to end.
    /// - Throws: `TrainErrorLine` when the interpreter has no torch, the script is missing, or it
    ///   exits before it is ready (its last stderr line is quoted).
    init(python: String, script name: String, extra: [String]) throws {
        guard let script = PyTorchPeer.locate(name) else {
            throw TrainErrorLine("--vs-pytorch: launch/pytorch/\(name) not found next to the working directory or the cohort binary")
        }
        try PyTorchPeer.checkTorch(python)
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, "serve"] + extra
        var env = ProcessInfo.processInfo.environment
        env["OPENBLAS_NUM_THREADS"] = "1"; env["OMP_NUM_THREADS"] = "1"
        process.environment = env
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        guard let ready = readLine(), ready.contains("\"ready\"") else {
            process.waitUntilExit()
            throw TrainErrorLine("--vs-pytorch: \(script) exited with status \(process.terminationStatus) before it was ready (its error is above)")
        }
        benchNote("pytorch: \(ready)")
    }

    deinit {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
    }

    /// PyTorch's seconds for `steps` training steps.
    func round(steps: Int) throws -> Double {
        input.fileHandleForWriting.write(Data("run \(steps)\n".utf8))
        guard let line = readLine(), let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
              let s = obj["seconds"] as? Double else {
            throw TrainErrorLine("--vs-pytorch: the PyTorch process stopped answering (exit \(process.isRunning ? "none yet" : "\(process.terminationStatus)"))")
        }
        return s
    }

    private func readLine() -> String? {
        while true {
            if let nl = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: buffer[buffer.startIndex ..< nl], as: UTF8.self)
                buffer.removeSubrange(buffer.startIndex ... nl)
                return line
            }
            let more = output.fileHandleForReading.availableData
            if more.isEmpty { return nil }
            buffer.append(more)
        }
    }

    /// One clear error when `python` cannot import torch (Debian: python3-torch).
    static func checkTorch(_ python: String) throws {
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw TrainErrorLine("--vs-pytorch: no Python interpreter at \(python) (give one with --python)")
        }
        let p = Process(), err = Pipe()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = ["-c", "import torch"]
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            let last = String(decoding: message, as: UTF8.self).split(separator: "\n").last.map(String.init) ?? "exit \(p.terminationStatus)"
            throw TrainErrorLine("--vs-pytorch: \(python) cannot import torch (\(last)); install Debian's python3-torch or give --python")
        }
    }

    /// launch/pytorch/`name` under the working directory or a parent of the cohort binary's.
    static func locate(_ name: String) -> String? {
        var dirs = [FileManager.default.currentDirectoryPath]
        var url = URL(fileURLWithPath: MPIRunCommand.selfExecutable()).deletingLastPathComponent()
        for _ in 0..<5 { dirs.append(url.path); url.deleteLastPathComponent() }
        return dirs.map { $0 + "/launch/pytorch/" + name }.first { FileManager.default.fileExists(atPath: $0) }
    }
}
