// Tests helper: key pairs for a CURVE coordinator (server, alice, mallory, worker) written as
// `cohort keys` writes them, an authorized_keys file listing alice and the worker, and a
// TestCluster config that turns CURVE on over tcp://127.0.0.1:*.
import Coordinator
import Foundation
import Wire
import XCTest

final class CurveFixture {
    let cluster: TestCluster
    var dir: String { cluster.dir }
    let server: CurveKeyPair, alice: CurveKeyPair, mallory: CurveKeyPair, worker: CurveKeyPair
    var authorizedKeys: String { dir + "/authorized_keys" }

    init(name: String) throws {
        cluster = try TestCluster(name: name)
        server = try .generate(); alice = try .generate(); mallory = try .generate(); worker = try .generate()
        for (n, pair) in [("server", server), ("alice", alice), ("mallory", mallory), ("worker", worker)] {
            try CurveKeyFile.write(pair, keyPath: "\(dir)/\(n).key", pubPath: "\(dir)/\(n).pub")
        }
        try authorize([alice, worker])
    }

    /// Replaces authorized_keys (write + rename, as an editor or `mv` would).
    func authorize(_ pairs: [CurveKeyPair]) throws {
        let lines = ["# test keys"] + pairs.enumerated().map { "\($1.publicKey) peer-\($0)" }
        try (lines.joined(separator: "\n") + "\n").write(toFile: authorizedKeys, atomically: true, encoding: .utf8)
    }

    func config() -> CoordinatorConfig {
        var c = cluster.config()
        c.curveSecretKey = dir + "/server.key"; c.authorizedKeys = authorizedKeys; c.workerKey = dir + "/worker.key"
        return c
    }

    /// Starts a CURVE coordinator; returns its endpoint.
    @discardableResult
    func start() throws -> String {
        let c = try Coordinator(config: config())
        try c.start()
        cluster.coordinator = c
        cluster.endpoint = c.endpoint
        return c.endpoint
    }

    /// Client keys of `pair` against this coordinator.
    func keys(_ pair: CurveKeyPair, server: CurveKeyPair? = nil) -> CurveClientKeys {
        CurveClientKeys(serverPublicKey: (server ?? self.server).publicKey, own: pair)
    }

    func client(_ pair: CurveKeyPair?, timeoutMs: Int = 1000) -> CoordinatorClient {
        CoordinatorClient(endpoint: cluster.endpoint, timeoutMs: timeoutMs, curve: pair.map { keys($0) })
    }

    /// Asserts that a `nodes` request with `pair` fails the handshake; returns the error text.
    @discardableResult
    func assertRefused(_ pair: CurveKeyPair?, file: StaticString = #filePath, line: UInt = #line) -> String {
        do {
            _ = try client(pair).nodes()
            XCTFail("expected a refusal", file: file, line: line)
            return ""
        } catch {
            guard case ClientError.refused = error else { XCTFail("expected .refused, got \(error)", file: file, line: line); return "" }
            return "\(error)"
        }
    }

    func shutdown() { cluster.shutdown() }
}
