// Implements: `cohort keys NAME`: a new CURVE key pair written atomically to DIR/NAME.key (public
// and secret key, mode 0600) and DIR/NAME.pub (the public key); prints the public key.
import ArgumentParser
import Foundation
import Wire

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "keys", abstract: "Make a CURVE key pair for the control plane.")
    @Argument(help: "Name of the files: NAME.key (keep it secret) and NAME.pub (share it).") var name: String
    @Option(help: "Directory to write them to.") var dir = "."
    @Flag(help: "Replace existing files.") var force = false

    func validate() throws {
        let allowed = name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
        guard !name.isEmpty, allowed, !name.hasPrefix(".") else {
            throw ValidationError("NAME must be ASCII letters, digits, '-', '_' or '.' and not start with '.', got \"\(name)\"")
        }
    }

    func run() throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
            throw LaunchError("--dir \(dir): no such directory")
        }
        let key = "\(dir)/\(name).key", pub = "\(dir)/\(name).pub"
        for path in [key, pub] where !force && FileManager.default.fileExists(atPath: path) {
            throw LaunchError("\(path) already exists; pass --force to replace it")
        }
        let pair = try CurveKeyPair.generate()
        try CurveKeyFile.write(pair, keyPath: key, pubPath: pub)
        FileHandle.standardError.write(Data("wrote \(key) (secret, mode 0600) and \(pub)\n".utf8))
        print(pair.publicKey)
    }
}
