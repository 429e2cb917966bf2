// Implements: CurveClientKeys, what a connecting peer (CLI, agent, trainer) needs to speak CURVE
// to the coordinator: the coordinator's public key and its own key pair, read from a .pub and a
// .key file given as options or as COHORT_SERVER_KEY / COHORT_KEY.
import Foundation

public struct CurveClientKeys: Equatable, Sendable {
    /// The coordinator's public key (Z85).
    public let serverPublicKey: String
    /// This peer's own pair; its public key must be in the coordinator's authorized_keys.
    public let own: CurveKeyPair

    /// Environment variable naming this peer's key pair file (.key).
    public static let keyVariable = "COHORT_KEY"
    /// Environment variable naming the coordinator's public key file (.pub).
    public static let serverKeyVariable = "COHORT_SERVER_KEY"

    public init(serverPublicKey: String, own: CurveKeyPair) { self.serverPublicKey = serverPublicKey; self.own = own }

    /// Reads both files.
    /// - Parameters:
    ///   - keyFile: this peer's NAME.key.
    ///   - serverKeyFile: the coordinator's NAME.pub.
    /// - Throws: `KeyFileError` naming the file (and line) at fault.
    public static func load(keyFile: String, serverKeyFile: String) throws(KeyFileError) -> CurveClientKeys {
        CurveClientKeys(serverPublicKey: try CurveKeyFile.readPublic(serverKeyFile), own: try CurveKeyFile.readPair(keyFile))
    }

    /// Keys from explicit paths, else from COHORT_KEY and COHORT_SERVER_KEY (empty counts as unset);
    /// nil when neither is given.
    /// - Throws: `KeyFileError` if only one of the two is given or a file is bad.
    public static func resolve(keyFile: String?, serverKeyFile: String?,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws(KeyFileError) -> CurveClientKeys? {
        let key = keyFile ?? environment[keyVariable].flatMap { $0.isEmpty ? nil : $0 }
        let server = serverKeyFile ?? environment[serverKeyVariable].flatMap { $0.isEmpty ? nil : $0 }
        switch (key, server) {
        case (nil, nil): return nil
        case let (key?, server?): return try load(keyFile: key, serverKeyFile: server)
        case let (key?, nil):
            throw KeyFileError(path: key, "a key pair needs the coordinator's public key too (--server-key FILE or \(serverKeyVariable))")
        case let (nil, server?):
            throw KeyFileError(path: server, "the coordinator's public key needs this peer's key pair too (--key FILE or \(keyVariable))")
        }
    }
}
