// Implements: TrainerReporter, what every rank started by the coordinator runs: heartbeats (with the
// rank's step) and, from rank 0, hello, progress and checkpoint-committed. A background thread owns
// the socket and sends everything, so training never waits on the coordinator: reports are queued
// and a coordinator that is down costs nothing but dropped reports. The thread also fences the rank:
// when the coordinator answers `stale-attempt` (the attempt was ended, e.g. after another rank died)
// or has not answered for `fenceMs`, the rank exits rather than live on beside a restarted attempt.
import Foundation

public final class TrainerReporter: @unchecked Sendable {
    public let job: String
    public let rank: Int
    /// The attempt this rank belongs to (COHORT_ATTEMPT), carried by every message.
    public let attempt: Int?
    public let heartbeatMs: Int
    public let fenceMs: Int
    /// Called (on the reporter's thread) when the rank must stop; the default prints the reason and
    /// exits with status 75 at once (`_exit`: no atexit handlers race the training threads).
    public var onFenced: (String) -> Void = { reason in
        FileHandle.standardError.write(Data("cohort train: \(reason); exiting\n".utf8))
        _exit(75)
    }
    private let client: RequestClient
    private let lock = NSLock()
    private var queue: [Message] = []
    private var step = 0
    private var stopped = false
    private var thread: Thread?
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// Reports queued beyond this are dropped, oldest first (the coordinator is away).
    static let queueLimit = 256

    /// CURVE keys from COHORT_KEY and COHORT_SERVER_KEY in `environment`, or nil. A bad key file
    /// is one warning on stderr: the coordinator then refuses the reports and the rank is fenced.
    public static func environmentKeys(_ environment: [String: String]) -> CurveClientKeys? {
        do { return try CurveClientKeys.resolve(keyFile: nil, serverKeyFile: nil, environment: environment) } catch {
            FileHandle.standardError.write(Data("warning: cannot report to the coordinator with CURVE: \(error)\n".utf8))
            return nil
        }
    }

    /// - Parameters:
    ///   - environment: supplies COHORT_ATTEMPT, COHORT_HEARTBEAT_MS and COHORT_FENCE_MS when set,
    ///     and the CURVE keys (COHORT_KEY, COHORT_SERVER_KEY) unless `curve` is given.
    ///   - curve: the coordinator's public key and ours, when it uses CURVE.
    public init(endpoint: String, job: String, rank: Int, environment: [String: String] = ProcessInfo.processInfo.environment,
                curve: CurveClientKeys? = nil) {
        self.job = job; self.rank = rank
        attempt = environment[LaunchContract.attemptVariable].flatMap { Int($0) }
        heartbeatMs = max(10, environment[LaunchContract.heartbeatVariable].flatMap { Int($0) } ?? WireProtocol.heartbeatIntervalMs)
        fenceMs = max(heartbeatMs * 2, environment[LaunchContract.fenceVariable].flatMap { Int($0) } ?? WireProtocol.trainerFenceMs)
        client = RequestClient(endpoint: endpoint, timeoutMs: min(2000, max(200, heartbeatMs * 2)),
                               curve: curve ?? Self.environmentKeys(environment))
    }

    /// Starts the reporter's thread: heartbeats from now on.
    public func start() {
        lock.lock(); defer { lock.unlock() }
        guard thread == nil else { return }
        let t = Thread { [self] in run() }
        t.name = "reporter"
        t.start()
        thread = t
    }

    /// Announces the rank: world size, pid and the step it starts at (above 0 after a resume).
    public func hello(worldSize: Int, startStep: Int) {
        var m = base(.hello)
        m.worldSize = worldSize; m.pid = Int(getpid()); m.step = startStep
        enqueue(m)
        setStep(startStep)
    }

    /// Reports one optimizer step (rank 0).
    public func progress(step: Int, loss: Double, samplesPerSecond: Double) {
        var m = base(.progress)
        m.step = step; m.loss = loss; m.samplesPerS = samplesPerSecond
        enqueue(m)
    }

    /// Reports an evaluation (rank 0): `metric` (e.g. val_loss, test_accuracy) was `value` at `step`.
    /// A progress message with only the evaluation; the coordinator keeps the latest.
    public func evaluation(step: Int, metric: String, value: Double) {
        var m = base(.progress)
        m.step = step; m.evaluation = Evaluation(metric: metric, value: value, step: step)
        enqueue(m)
    }

    /// Reports a committed checkpoint (after its manifest is durable).
    public func checkpointCommitted(step: Int, path: String) {
        var m = base(.checkpointCommitted)
        m.step = step; m.path = path
        enqueue(m)
    }

    /// The step heartbeats carry.
    public func setStep(_ s: Int) { lock.lock(); step = s; lock.unlock() }

    /// Says goodbye (a final heartbeat with `done`, so the coordinator stops watching this rank),
    /// sends what is queued (waiting at most `drainSeconds`), then stops heartbeating.
    public func stop(drainSeconds: Double = 3) {
        var bye = base(.heartbeat)
        bye.done = true
        lock.lock()
        let running = thread != nil && !stopped
        if running { queue.append(bye) }
        stopped = true
        lock.unlock()
        guard running else { return }
        wake.signal()
        _ = finished.wait(timeout: .now() + drainSeconds)
    }

    func base(_ kind: Message.Kind) -> Message {
        var m = Message(kind)
        m.job = job; m.rank = rank; m.attempt = attempt
        return m
    }

    func enqueue(_ m: Message) {
        lock.lock()
        queue.append(m)
        if queue.count > Self.queueLimit { queue.removeFirst(queue.count - Self.queueLimit) }
        lock.unlock()
        wake.signal()
    }

    private func run() {
        var lastReply = Date(), nextBeat = Date()
        while true {
            lock.lock()
            let batch = queue, stopping = stopped, s = step
            queue.removeAll()
            lock.unlock()
            var out = batch
            if Date() >= nextBeat && !stopping {
                var hb = base(.heartbeat)
                hb.step = s
                out.append(hb)
                nextBeat = Date().addingTimeInterval(Double(heartbeatMs) / 1000)
            }
            for m in out {
                guard let reply = try? client.exchange(m) else { continue }
                lastReply = Date()
                if reply.type == .error, reply.code == .staleAttempt || reply.code == .unknownJob {
                    onFenced("the coordinator ended this attempt (\(reply.message ?? "stale attempt"))")
                    return
                }
            }
            if stopping { break }
            if Date().timeIntervalSince(lastReply) * 1000 > Double(fenceMs) {
                onFenced("no reply from the coordinator at \(client.endpoint) for \(fenceMs / 1000) s (fencing)")
                return
            }
            _ = wake.wait(timeout: .now() + max(0.001, nextBeat.timeIntervalSinceNow))
        }
        finished.signal()
    }
}
