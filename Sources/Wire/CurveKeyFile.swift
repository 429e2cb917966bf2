// Implements: CURVE key files, the one place their format lives. A key pair file NAME.key
// (secret, mode 0600) holds two lines, `public: <Z85>` and `secret: <Z85>`; a public key file
// NAME.pub holds the public key alone on one line. Lines starting with `#` and blank lines are
// ignored in both. Z85 keys are 40 characters for 32 bytes (ZeroMQ RFC 32).
import Durable
import Foundation

/// A bad key file: `path`, the 1-based `line` when one is at fault, and what is wrong with it.
public struct KeyFileError: Error, CustomStringConvertible, Equatable {
    public let path: String
    public let line: Int?
    public let reason: String

    public init(path: String, line: Int? = nil, _ reason: String) { self.path = path; self.line = line; self.reason = reason }

    public var description: String { line.map { "\(path) line \($0): \(reason)" } ?? "\(path): \(reason)" }
}

/// A CURVE key pair, both halves in Z85.
public struct CurveKeyPair: Equatable, Sendable {
    public let publicKey: String
    public let secretKey: String

    public init(publicKey: String, secretKey: String) { self.publicKey = publicKey; self.secretKey = secretKey }

    /// A new random pair. The corresponding C function is `zmq_curve_keypair`.
    /// - Throws: `WireError.zmq` if libzmq was built without CURVE.
    public static func generate() throws(WireError) -> CurveKeyPair {
        let (p, s) = try ZMQCurve.keypair()
        return CurveKeyPair(publicKey: p, secretKey: s)
    }
}

public enum CurveKeyFile {
    /// Whether `s` is a 40-character Z85 key (decodes to 32 bytes).
    public static func isKey(_ s: Substring) -> Bool { s.utf8.count == 40 && ZMQCurve.decode(String(s)) != nil }

    /// The text of a NAME.key file.
    public static func pairText(_ pair: CurveKeyPair) -> String {
        "# Cohort CURVE key pair (Z85). Secret: keep this file private (mode 0600); share NAME.pub instead.\n"
            + "public: \(pair.publicKey)\nsecret: \(pair.secretKey)\n"
    }

    /// Reads a NAME.key file and checks that its public key belongs to its secret key.
    /// - Throws: `KeyFileError` naming the file and, where one is at fault, the line.
    public static func readPair(_ path: String) throws(KeyFileError) -> CurveKeyPair {
        var fields: [String: String] = [:]
        for (n, line) in try lines(path) {
            if isKey(Substring(line)) {
                throw KeyFileError(path: path, line: n, "this is a public key file (.pub); a key pair file (.key) is needed here")
            }
            guard let colon = line.firstIndex(of: ":"), case let field = String(line[..<colon]), ["public", "secret"].contains(field) else {
                throw KeyFileError(path: path, line: n, "expected `public: KEY` or `secret: KEY`, got \"\(line.prefix(60))\"")
            }
            let key = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            guard isKey(Substring(key)) else { throw KeyFileError(path: path, line: n, "\(field) key is not a 40-character Z85 key") }
            guard fields[field] == nil else { throw KeyFileError(path: path, line: n, "\(field) key given twice") }
            fields[field] = key
        }
        guard let pub = fields["public"], let sec = fields["secret"] else {
            throw KeyFileError(path: path, "not a key pair file: needs a `public:` and a `secret:` line (make one with 'cohort keys NAME')")
        }
        guard (try? ZMQCurve.publicKey(secretKey: sec)) == pub else { throw KeyFileError(path: path, "the public key does not belong to the secret key") }
        return CurveKeyPair(publicKey: pub, secretKey: sec)
    }

    /// Reads a NAME.pub file: exactly one line holding a Z85 public key.
    /// - Throws: `KeyFileError` naming the file and the line.
    public static func readPublic(_ path: String) throws(KeyFileError) -> String {
        let found = try lines(path)
        guard let (n, line) = found.first else { throw KeyFileError(path: path, "holds no public key") }
        if line.hasPrefix("public:") || line.hasPrefix("secret:") {
            throw KeyFileError(path: path, line: n, "this is a key pair file (.key, secret); pass the public key file (.pub) instead")
        }
        guard isKey(Substring(line)) else { throw KeyFileError(path: path, line: n, "expected a 40-character Z85 public key, got \"\(line.prefix(60))\"") }
        guard found.count == 1 else { throw KeyFileError(path: path, line: found[1].0, "a public key file holds one key") }
        return line
    }

    /// Writes `pair` to `keyPath` (mode 0600) and its public key to `pubPath`, each atomically,
    /// replacing what is there.
    /// - Throws: `AtomicFileError` naming the path and the failing call.
    public static func write(_ pair: CurveKeyPair, keyPath: String, pubPath: String) throws(AtomicFileError) {
        try AtomicFile.write(Data(pairText(pair).utf8), to: keyPath, mode: 0o600)
        try writePublic(pair.publicKey, to: pubPath)
    }

    /// Writes a NAME.pub file atomically.
    public static func writePublic(_ publicKey: String, to path: String) throws(AtomicFileError) {
        try AtomicFile.write(Data((publicKey + "\n").utf8), to: path, mode: 0o644)
    }

    /// The text of a small file that must be there. Each key file is read whole, so anything
    /// larger than 1 MiB or not a regular file is refused rather than read.
    /// - Throws: `KeyFileError` saying why it cannot be read.
    public static func readText(_ path: String) throws(KeyFileError) -> String {
        let fm = FileManager.default
        guard let attrs = try? fm.attributesOfItem(atPath: path) else { throw KeyFileError(path: path, "no such file") }
        guard attrs[.type] as? FileAttributeType == .typeRegular else { throw KeyFileError(path: path, "not a regular file") }
        guard (attrs[.size] as? Int ?? 0) <= 1 << 20 else { throw KeyFileError(path: path, "larger than 1 MiB") }
        guard let data = fm.contents(atPath: path) else { throw KeyFileError(path: path, "cannot read it (permission denied?)") }
        guard let text = String(data: data, encoding: .utf8) else { throw KeyFileError(path: path, "not UTF-8 text") }
        return text
    }

    /// The lines that count in a key file or an authorized_keys file, trimmed, with their 1-based
    /// numbers: not blank and not a `#` comment. Z85 itself uses `#`, so a line whose first word
    /// is a whole key counts even when it starts with `#` (a commented-out key is 41 characters).
    public static func contentLines(_ text: String) -> [(number: Int, text: String)] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { i, raw in
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { return nil }
            if line.hasPrefix("#"), !isKey(line.prefix { !$0.isWhitespace }) { return nil }
            return (i + 1, line)
        }
    }

    static func lines(_ path: String) throws(KeyFileError) -> [(number: Int, text: String)] { contentLines(try readText(path)) }
}
