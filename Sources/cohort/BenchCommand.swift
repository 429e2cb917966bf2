// Implements: `cohort bench …`, the benchmarks of ../shared/benchmark.md; each prints one JSON
// object per result on stdout and its progress on stderr.
import ArgumentParser
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Measure Cohort and print one JSON line per result.",
        subcommands: [BenchCompute.self, BenchAllreduce.self, BenchScaling.self, BenchZero.self, BenchRecovery.self])
}

/// Prints `object` as one JSON line on stdout (keys sorted).
func emitJSONLine(_ object: [String: Any]) {
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8)
    print(String(decoding: data, as: UTF8.self))
    fflush(stdout)
}

/// Writes a progress line to stderr.
func benchNote(_ s: String) { FileHandle.standardError.write(Data((s + "\n").utf8)) }
