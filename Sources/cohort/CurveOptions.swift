// Implements: CurveOptions, --key and --server-key (defaults: $COHORT_KEY, $COHORT_SERVER_KEY),
// the CURVE keys a peer connects to the coordinator with; declared once, used by the job
// commands (through ClusterOptions) and by `cohort agent`.
import ArgumentParser
import Wire

struct CurveOptions: ParsableArguments {
    @Option(name: .customLong("key"), help: ArgumentHelp("Our key pair file, from 'cohort keys' (default: $COHORT_KEY).", valueName: "file"))
    var key: String?
    @Option(name: .customLong("server-key"), help: ArgumentHelp("The coordinator's public key file, NAME.pub (default: $COHORT_SERVER_KEY).", valueName: "file"))
    var serverKey: String?

    /// The keys, or nil when neither the options nor the variables are set (no CURVE).
    /// - Throws: `KeyFileError` naming a bad file, or the half that is missing.
    func load() throws -> CurveClientKeys? { try CurveClientKeys.resolve(keyFile: key, serverKeyFile: serverKey) }
}
