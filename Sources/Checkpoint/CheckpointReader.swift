// Implements: finding, verifying and loading checkpoints. `latest` means the newest committed
// checkpoint that verifies: LATEST's target first, then every other committed step directory,
// newest first; each one skipped is reported with its reason.
import Foundation

/// A checkpoint's whole state, reassembled in the flat layout (independent of the world size it
/// was written at, so any number of ranks and any ZeRO stage can take its part).
public struct LoadedCheckpoint {
    /// The step directory it was read from.
    public let path: String
    /// Its manifest.
    public let manifest: Manifest
    /// (Ψ) parameters.
    public let params: [Float]
    /// Optimizer state buffers, each (Ψ).
    public let optimizerState: [[Float]]
}

/// Finding, verifying and loading committed checkpoints.
public enum CheckpointReader {
    /// Step directories are named step-00001200; uncommitted ones end in .tmp.
    static func stepNumber(_ name: String) -> Int? {
        guard name.hasPrefix("step-"), !name.hasSuffix(".tmp") else { return nil }
        return Int(name.dropFirst(5))
    }

    /// Committed step directories of `dir`, newest first.
    public static func committed(in dir: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { n in stepNumber(n).map { (n, $0) } }.sorted { $0.1 > $1.1 }.map { "\(dir)/\($0.0)" }
    }

    /// The manifest of the checkpoint at `path`, after checking every file's size and CRC32.
    /// - Throws: `CheckpointError` naming the manifest or the file that fails.
    public static func verify(_ path: String) throws(CheckpointError) -> Manifest {
        let mpath = path + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: mpath) else { throw .missingFile(path: mpath) }
        let manifest: Manifest
        do {
            if let obj = try JSONSerialization.jsonObject(with: data) as? [String: Any], let v = obj["format_version"] as? Int,
               v != Manifest.formatVersion {
                throw CheckpointError.unknownVersion(path: mpath, version: v)
            }
            manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch let e as CheckpointError { throw e } catch let e as DecodingError {
            throw .badManifest(path: mpath, reason: "a field is missing or of the wrong type (\(e.localizedDescription))")
        } catch {
            // JSONSerialization's errors render as "Error Domain=NSCocoaErrorDomain Code=3840 …": keep only its detail.
            let detail = ((error as NSError).userInfo["NSDebugDescription"] as? String).map { " (\($0))" } ?? ""
            throw .badManifest(path: mpath, reason: "not valid JSON (truncated or corrupt)" + detail)
        }
        for f in manifest.files {
            let fp = path + "/" + f.file
            guard let contents = FileManager.default.contents(atPath: fp) else { throw .missingFile(path: fp) }
            guard contents.count == f.bytes else { throw .wrongSize(path: fp, expected: f.bytes, actual: contents.count) }
            let crc = CRC32.of(contents)
            guard crc == f.crc32 else { throw .badChecksum(path: fp, expected: f.crc32, actual: crc) }
        }
        return manifest
    }

    /// Resolves `spec` ("latest" or a checkpoint path) to a verified checkpoint.
    /// - Parameters:
    ///   - directory: Where `latest` looks.
    ///   - log: Told about every checkpoint skipped on the way to the newest valid one.
    public static func resolve(_ spec: String, directory: String, log: (String) -> Void = { _ in }) throws(CheckpointError) -> (String, Manifest) {
        guard spec == "latest" else {
            guard FileManager.default.fileExists(atPath: spec) else { throw .notFound(spec) }
            return (spec, try verify(spec))
        }
        var candidates = committed(in: directory)
        if let target = try? String(contentsOfFile: directory + "/LATEST", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           let i = candidates.firstIndex(of: "\(directory)/\(target)") {
            candidates.insert(candidates.remove(at: i), at: 0)
        }
        var reasons: [String] = []
        for c in candidates {
            do { return (c, try verify(c)) } catch {
                log("checkpoint \(c) is invalid (\(error)); falling back to an older one")
                reasons.append("\((c as NSString).lastPathComponent): \(error)")
            }
        }
        throw .noValidCheckpoint(directory: directory, reasons: reasons)
    }

    /// Reads every file of a verified checkpoint into the flat layout.
    public static func load(_ path: String, manifest: Manifest) throws -> LoadedCheckpoint {
        let n = manifest.parameter_count, k = manifest.optimizer.buffers
        var params = [Float](repeating: 0, count: n)
        var state = [[Float]](repeating: [Float](repeating: 0, count: n), count: k)
        var covered = 0
        for f in manifest.files {
            guard let data = FileManager.default.contents(atPath: path + "/" + f.file) else { throw CheckpointError.missingFile(path: path + "/" + f.file) }
            var at = 0
            try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                for r in f.ranges {
                    guard r.count == 2, r[0] >= 0, r[0] <= r[1], r[1] <= n, at + (1 + k) * (r[1] - r[0]) * 4 <= raw.count else {
                        throw CheckpointError.badManifest(path: path + "/manifest.json", reason: "range \(r) of \(f.file) does not fit")
                    }
                    let count = r[1] - r[0]
                    for buffer in -1 ..< k {
                        let src = raw.baseAddress! + at
                        if buffer < 0 {
                            params.withUnsafeMutableBytes { dst in dst.baseAddress!.advanced(by: r[0] * 4).copyMemory(from: src, byteCount: count * 4) }
                        } else {
                            state[buffer].withUnsafeMutableBytes { dst in dst.baseAddress!.advanced(by: r[0] * 4).copyMemory(from: src, byteCount: count * 4) }
                        }
                        at += count * 4
                    }
                    covered += count
                }
            }
        }
        guard covered == n else { throw CheckpointError.badManifest(path: path + "/manifest.json", reason: "files cover \(covered) of \(n) parameters") }
        return LoadedCheckpoint(path: path, manifest: manifest, params: params, optimizerState: state)
    }
}
