// Implements: AuthorizedKeys, the coordinator's allow list of client CURVE public keys: one Z85
// key per line, optionally followed by whitespace and a name; `#` comments and blank lines
// allowed. The file is re-read when its inode, size or modification time changes, so a key can
// be added or revoked without a restart.
import Foundation
import Wire

struct AuthorizedKeys {
    /// 32-byte public key → the name given after it ("" when none).
    let names: [Data: String]

    /// - Throws: `KeyFileError` naming `path` and the line that is not a key.
    static func parse(_ text: String, path: String) throws(KeyFileError) -> AuthorizedKeys {
        var names: [Data: String] = [:]
        for (n, line) in CurveKeyFile.contentLines(text) {
            let key = line.prefix { !$0.isWhitespace }
            guard CurveKeyFile.isKey(key), let bytes = ZMQCurve.decode(String(key)) else {
                throw KeyFileError(path: path, line: n, "expected a 40-character Z85 public key, got \"\(key.prefix(60))\"")
            }
            names[bytes] = line.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
        }
        return AuthorizedKeys(names: names)
    }

    static func load(_ path: String) throws(KeyFileError) -> AuthorizedKeys { try parse(CurveKeyFile.readText(path), path: path) }
}

/// The allow list file as the ZAP thread sees it (one thread only: not locked).
final class AuthorizedKeysFile {
    let path: String
    /// What identifies one version of the file: inode, size, mtime (s, ns).
    private var stamp: [Int]?
    private var current: Result<AuthorizedKeys, KeyFileError>
    private let log: (String) -> Void

    /// Loads the file; at start it must be valid.
    /// - Throws: `KeyFileError` naming the file and line.
    init(path: String, log: @escaping (String) -> Void) throws(KeyFileError) {
        self.path = path; self.log = log
        stamp = Self.stamp(path)
        current = .success(try AuthorizedKeys.load(path))
    }

    /// The keys as of the file's latest version. A file that became unreadable or malformed
    /// refuses everyone until it is fixed (a half-edited list must not keep a revoked key alive).
    func keys() -> Result<AuthorizedKeys, KeyFileError> {
        let now = Self.stamp(path)
        guard now != stamp else { return current }
        stamp = now
        do {
            let k = try AuthorizedKeys.load(path)
            current = .success(k)
            log("reloaded \(path): \(k.names.count) key(s)")
        } catch {
            current = .failure(error)
            log("\(error); refusing every CURVE key until it is fixed")
        }
        return current
    }

    static func stamp(_ path: String) -> [Int]? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return [Int(st.st_ino), Int(st.st_size), Int(st.st_mtim.tv_sec), Int(st.st_mtim.tv_nsec)]
    }
}
