// Implements: the CURVE keys a job's ranks get: COHORT_KEY names worker_key (a pair whose public
// key is authorized) and COHORT_SERVER_KEY the coordinator's public key file, both as absolute
// paths exported through `mpirun -x`, and only when CURVE is on. Ranks never get the
// coordinator's own secret key, nor whatever COHORT_KEY the coordinator itself was started with.
import Foundation
import Wire

enum WorkerKeys {
    static let variables = [CurveClientKeys.keyVariable, CurveClientKeys.serverKeyVariable]

    /// Where ranks read the coordinator's public key: X.pub beside curve_secret_key X.key when it
    /// exists (checked against X.key at start), else STATE_DIR/coordinator.pub, written at start.
    static func serverPublicKeyPath(_ config: CoordinatorConfig) -> String? {
        guard config.usesCurve, let secret = config.curveSecretKey else { return nil }
        if secret.hasSuffix(".key") {
            let pub = String(secret.dropLast(4)) + ".pub"
            if FileManager.default.fileExists(atPath: pub) { return absolute(pub) }
        }
        return absolute(config.stateDir + "/coordinator.pub")
    }

    /// COHORT_KEY and COHORT_SERVER_KEY for ranks; empty without CURVE or without worker_key.
    static func values(_ config: CoordinatorConfig) -> [String: String] {
        guard let worker = config.workerKey, let server = serverPublicKeyPath(config) else { return [:] }
        return [CurveClientKeys.keyVariable: absolute(worker), CurveClientKeys.serverKeyVariable: server]
    }

    /// mpirun arguments exporting them (`-x NAME` each).
    static func exports(_ config: CoordinatorConfig) -> [String] { values(config).keys.sorted().flatMap { ["-x", $0] } }

    /// `base` (the coordinator's environment) without its own COHORT_KEY/COHORT_SERVER_KEY, plus the ranks'.
    static func environment(_ config: CoordinatorConfig, base: [String: String]) -> [String: String] {
        base.filter { !variables.contains($0.key) }.merging(values(config)) { _, new in new }
    }

    /// `path` made absolute against the current directory (the launch wrapper changes directory).
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }
}
