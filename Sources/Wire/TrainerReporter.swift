// Implements: TrainerReporter, what a trainer started by the coordinator calls to report: hello,
// progress (step, loss, samples/s), checkpoint-committed, and heartbeats from a background thread.
// Reports are best effort: a coordinator that is down must never stop training.
import Foundation

public final class TrainerReporter: @unchecked Sendable {
    public let job: String
    public let rank: Int
    private let client: RequestClient
    private let lock = NSLock()
    private var heartbeat: Thread?
    private var stopped = false

    /// Reads COHORT_JOB_ID and COHORT_COORDINATOR (exported by the coordinator's launch), and
    /// COHORT_KEY and COHORT_SERVER_KEY when the coordinator uses CURVE; returns nil when the
    /// trainer was not started by a coordinator.
    public static func fromEnvironment(rank: Int) -> TrainerReporter? {
        let env = ProcessInfo.processInfo.environment
        guard let job = env["COHORT_JOB_ID"], let ep = env["COHORT_COORDINATOR"] else { return nil }
        return TrainerReporter(endpoint: ep, job: job, rank: rank, curve: environmentKeys())
    }

    /// CURVE keys from COHORT_KEY and COHORT_SERVER_KEY, or nil. Reports are best effort, so a
    /// bad key file is one warning on stderr (the coordinator will then refuse the reports).
    public static func environmentKeys() -> CurveClientKeys? {
        do { return try CurveClientKeys.resolve(keyFile: nil, serverKeyFile: nil) } catch {
            FileHandle.standardError.write(Data("warning: not reporting to the coordinator with CURVE: \(error)\n".utf8))
            return nil
        }
    }

    /// - Parameter curve: the coordinator's public key and ours, when it uses CURVE.
    public init(endpoint: String, job: String, rank: Int, timeoutMs: Int = 2000, curve: CurveClientKeys? = nil) {
        self.job = job; self.rank = rank
        client = RequestClient(endpoint: endpoint, timeoutMs: timeoutMs, curve: curve)
    }

    /// Announces the rank and starts heartbeating every `WireProtocol.heartbeatIntervalMs`.
    public func hello(worldSize: Int) {
        var m = base(.hello)
        m.worldSize = worldSize; m.pid = Int(getpid())
        send(m)
        let t = Thread { [weak self] in
            while let self, !self.isStopped {
                Thread.sleep(forTimeInterval: Double(WireProtocol.heartbeatIntervalMs) / 1000)
                self.send(self.base(.heartbeat))
            }
        }
        t.start()
        heartbeat = t
    }

    /// Reports one optimizer step.
    public func progress(step: Int, loss: Double, samplesPerSecond: Double) {
        var m = base(.progress)
        m.step = step; m.loss = loss; m.samplesPerS = samplesPerSecond
        send(m)
    }

    /// Reports a committed checkpoint (after its manifest is durable).
    public func checkpointCommitted(step: Int, path: String) {
        var m = base(.checkpointCommitted)
        m.step = step; m.path = path
        send(m)
    }

    /// Stops heartbeating.
    public func stop() { lock.lock(); stopped = true; lock.unlock() }

    var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    func base(_ kind: Message.Kind) -> Message {
        var m = Message(kind)
        m.job = job; m.rank = rank
        return m
    }

    func send(_ m: Message) {
        lock.lock(); defer { lock.unlock() }
        _ = try? client.exchange(m)
    }
}
