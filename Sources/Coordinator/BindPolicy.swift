// Implements: the coordinator's bind policy. Without CURVE keys it binds loopback, ipc:// and
// inproc:// only; with curve_secret_key and authorized_keys (which go together, with worker_key
// for the ranks) it binds any tcp:// or ipc:// address and uses CURVE on it, loopback included.
// inproc:// has no handshake, so it cannot carry CURVE and is refused with keys.
import Foundation

extension CoordinatorConfig {
    /// Whether the coordinator speaks CURVE (both key settings are given).
    public var usesCurve: Bool { curveSecretKey != nil && authorizedKeys != nil }

    /// - Throws: `ConfigError` naming `source` and the setting at fault.
    func validateBind(source: String) throws {
        guard (curveSecretKey == nil) == (authorizedKeys == nil) else {
            throw ConfigError(message: "\(source): curve_secret_key and authorized_keys go together: set both or neither")
        }
        if workerKey != nil && !usesCurve {
            throw ConfigError(message: "\(source): worker_key needs curve_secret_key and authorized_keys")
        }
        guard usesCurve else { return try Self.requireLoopback(bind) }
        // Ranks heartbeat and are fenced when no reply comes: without a key of their own they could not run.
        guard workerKey != nil else {
            throw ConfigError(message: "\(source): with curve_secret_key, worker_key is needed too: launched ranks report with it (make one with 'cohort keys worker' and list worker.pub in authorized_keys)")
        }
        guard bind.hasPrefix("tcp://") || bind.hasPrefix("ipc://") else {
            throw ConfigError(message: "\(source): bind \(bind): CURVE needs a tcp:// or ipc:// endpoint")
        }
    }
}
