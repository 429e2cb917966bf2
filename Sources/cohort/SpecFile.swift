// Implements: reading the user's job spec file, with one wording for every command that takes
// one (train, run, submit): "job spec not found: PATH" or "cannot read job spec PATH: REASON".
import Foundation

/// A job spec file that is missing or unreadable.
struct SpecFileError: Error, CustomStringConvertible {
    let description: String
}

enum SpecFile {
    /// The text of the spec at `path`.
    /// - Throws: `SpecFileError` naming the file, and the OS reason when it exists but cannot be read.
    static func read(_ path: String) throws -> String {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else { throw SpecFileError(description: "job spec not found: \(path)") }
        guard !isDir.boolValue else { throw SpecFileError(description: "cannot read job spec \(path): it is a directory") }
        do { return try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw SpecFileError(description: "cannot read job spec \(path): \(FoundationErrorText.reason(error))")
        }
    }
}
