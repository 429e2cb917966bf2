// Implements: the coordinator's CURVE set-up and tear-down: with keys configured it reads its key
// pair and authorized_keys, checks worker_key, publishes the public key file ranks get, makes its
// own zmq context and starts the ZAP handler there before the ROUTER binds, then sets the
// ROUTER's CURVE server options. Also the event query tests use to see refusals.
//
// Why an own context: libzmq allows one ZAP handler (inproc://zeromq.zap.01) per context, and a
// test process runs several coordinators. Each coordinator with keys therefore owns a context,
// its handler and its ROUTER live there, and the ZAP domain can stay the fixed "cohort". Clients
// stay in the shared context: they reach the ROUTER over tcp:// or ipc://, never inproc://.
import Foundation
import GRDB
import Wire

extension Coordinator {
    /// What a coordinator with CURVE keys holds while it runs.
    final class Curve {
        let keys: CurveKeyPair
        let zap: ZAPHandler
        init(keys: CurveKeyPair, zap: ZAPHandler) { self.keys = keys; self.zap = zap }
    }

    /// ZMQ_ZAP_DOMAIN of the ROUTER; the handler refuses requests for any other domain.
    static let zapDomain = "cohort"

    /// The coordinator's public key (Z85) while it runs with CURVE, else nil.
    public var curvePublicKey: String? { curve?.keys.publicKey }

    /// Without keys, the shared context. With keys, reads and checks them, starts the ZAP handler
    /// in a new context and returns that context for the ROUTER.
    /// - Throws: `KeyFileError` naming a bad key file (and line), `ConfigError` for a worker_key
    ///   that is not authorized or is the coordinator's own, `WireError` from libzmq.
    func startCurve() throws -> ZMQContext {
        guard config.usesCurve, let secretPath = config.curveSecretKey, let allowPath = config.authorizedKeys else { return .shared }
        let keys = try CurveKeyFile.readPair(secretPath)
        var st = stat()
        if stat(secretPath, &st) == 0, st.st_mode & 0o077 != 0 {
            log("warning: \(secretPath) holds the coordinator's secret key but is readable by others (mode \(String(st.st_mode & 0o777, radix: 8))); chmod 600 it")
        }
        let allowed = try AuthorizedKeysFile(path: allowPath) { [weak self] in self?.log("authorized_keys: \($0)") }
        try checkWorkerKey(keys, allowed: allowed)
        try publishPublicKey(keys)
        let context = try ZMQContext()
        let zap = try ZAPHandler(context: context, domain: Self.zapDomain, keys: allowed) { [weak self] who, address, unreported in
            self?.refused(who, address: address, unreported: unreported, allowPath: allowPath)
        }
        zap.start()
        curve = Curve(keys: keys, zap: zap)
        return context
    }

    /// Sets the CURVE server options (with keys) and binds; on failure stops the ZAP handler.
    func bindRouter(_ router: ZMQSocket) throws {
        do {
            if let curve { try router.setCurveServer(secretKey: curve.keys.secretKey, zapDomain: Self.zapDomain) }
            try router.bind(config.bind)
        } catch {
            stopCurve()
            throw error
        }
    }

    /// Stops the ZAP handler (after the ROUTER has closed); the context ends with its last socket.
    func stopCurve() {
        curve?.zap.stop()
        curve = nil
    }

    /// worker_key must be authorized, and must not be the coordinator's own pair (ranks get it).
    private func checkWorkerKey(_ keys: CurveKeyPair, allowed: AuthorizedKeysFile) throws {
        guard let path = config.workerKey else { return }  // BindPolicy requires it with CURVE
        let worker = try CurveKeyFile.readPair(path)
        guard worker.publicKey != keys.publicKey else {
            throw ConfigError(message: "worker_key \(path) is the coordinator's own key pair; ranks must never get its secret key (make one for them with 'cohort keys worker')")
        }
        guard case let .success(list) = allowed.keys(), let bytes = ZMQCurve.decode(worker.publicKey), list.names[bytes] != nil else {
            throw ConfigError(message: "worker_key \(path): its public key \(worker.publicKey) is not in authorized_keys \(allowed.path), so ranks could not report")
        }
    }

    /// Makes sure the public key file ranks are told about holds this coordinator's public key.
    private func publishPublicKey(_ keys: CurveKeyPair) throws {
        guard let path = WorkerKeys.serverPublicKeyPath(config) else { return }
        if path.hasPrefix(WorkerKeys.absolute(config.stateDir) + "/") {
            try CurveKeyFile.writePublic(keys.publicKey, to: path)
        } else if try CurveKeyFile.readPublic(path) != keys.publicKey {
            throw ConfigError(message: "\(path) does not hold the public key of \(config.curveSecretKey ?? ""); remove it or make the pair again with 'cohort keys'")
        }
    }

    /// Logs and records a refused handshake (the handler reports each key at most once a minute).
    private func refused(_ who: String, address: String, unreported: Int, allowPath: String) {
        let more = unreported > 0 ? " (\(unreported) more refusal(s) of it since the last report)" : ""
        log("refused CURVE key \(who) from \(address): not in authorized_keys \(allowPath)\(more)")
        do { try store.event(job: nil, kind: "auth-refused", detail: "\(who) from \(address)\(more)") } catch {
            log("cannot record a refusal: \(error)")
        }
    }

    /// The `detail` of every event of `kind`, oldest first (e.g. "auth-refused").
    /// - Throws: `StoreError`/GRDB errors from the database.
    public func events(kind: String) throws -> [String] {
        try store.eventDetails(kind: kind)
    }
}
