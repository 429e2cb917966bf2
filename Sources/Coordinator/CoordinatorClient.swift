// Implements: CoordinatorClient, the typed client every CLI command and test uses: one method per
// request, each one round trip with a timeout. Errors: ClientError.unreachable (exit 3 in the CLI),
// .refused when the CURVE handshake failed, or .rejected carrying the coordinator's error sentence.
import Foundation
import Wire

public enum ClientError: Error, CustomStringConvertible {
    case unreachable(endpoint: String, ms: Int)
    case rejected(code: ProtocolErrorCode, message: String)
    /// The security handshake failed: our CURVE key was refused, or one was expected.
    case refused(endpoint: String, failure: HandshakeFailure)
    case io(String)

    public var description: String {
        switch self {
        case let .unreachable(ep, ms): return "could not reach the coordinator at \(ep) (no reply within \(ms) ms)"
        case let .rejected(_, message): return message
        case let .refused(ep, failure): return failure.describe(endpoint: ep)
        case let .io(s): return s
        }
    }
}

public final class CoordinatorClient {
    let client: RequestClient

    /// - Parameter curve: the coordinator's public key and ours, when it uses CURVE.
    public init(endpoint: String, timeoutMs: Int = WireProtocol.defaultTimeoutMs, curve: CurveClientKeys? = nil) {
        client = RequestClient(endpoint: endpoint, timeoutMs: timeoutMs, curve: curve)
    }

    func call(_ m: Message) throws(ClientError) -> Message {
        do { return try client.call(m) } catch {
            switch error {
            case let .timeout(ep, ms): throw .unreachable(endpoint: ep, ms: ms)
            case let .remote(code, message): throw .rejected(code: code, message: message)
            case let .handshake(ep, failure): throw .refused(endpoint: ep, failure: failure)
            default: throw .io("\(error)")
            }
        }
    }

    /// Submits spec text; returns the new job.
    public func submit(spec: String, priority: Int? = nil, waitForNodes: Bool = false) throws(ClientError) -> JobInfo {
        var m = Message(.submit)
        m.spec = spec; m.priority = priority; m.waitForNodes = waitForNodes
        guard let j = try call(m).jobInfo else { throw .io("submit reply without job") }
        return j
    }

    public func status(_ job: String) throws(ClientError) -> JobInfo {
        var m = Message(.status); m.job = job
        guard let j = try call(m).jobInfo else { throw .io("status reply without job") }
        return j
    }

    /// Every job (in `state`, if given), newest first, following the coordinator's pages.
    public func list(state: JobState? = nil) throws(ClientError) -> [JobInfo] {
        var all: [JobInfo] = [], after: String?
        repeat {
            let page = try listPage(state: state, after: after)
            all += page.jobs
            guard let next = page.next, next != after else { break }
            after = next
        } while true
        return all
    }

    /// One page of jobs: those after job id `after` (newest first), at most `limit`; `total` counts
    /// every match, `next` is the `after` of the following page (nil on the last one).
    public func listPage(state: JobState? = nil, after: String? = nil, limit: Int? = nil) throws(ClientError) -> (jobs: [JobInfo], total: Int, next: String?) {
        var m = Message(.list); m.state = state; m.after = after; m.limit = limit
        let r = try call(m)
        return (r.jobs ?? [], r.total ?? 0, r.next)
    }

    public func cancel(_ job: String) throws(ClientError) -> JobInfo {
        var m = Message(.cancel); m.job = job
        guard let j = try call(m).jobInfo else { throw .io("cancel reply without job") }
        return j
    }

    public func nodes() throws(ClientError) -> [NodeInfo] { try call(Message(.nodes)).nodeList ?? [] }

    /// Every progress point of rank 0, oldest first, following the coordinator's pages.
    public func metrics(_ job: String) throws(ClientError) -> [ProgressPoint] {
        var all: [ProgressPoint] = [], after: String?
        repeat {
            var m = Message(.metrics); m.job = job; m.after = after
            let r = try call(m)
            all += r.points ?? []
            guard let next = r.next, next != after else { break }
            after = next
        } while true
        return all
    }

    /// One chunk of logs from `offsets`; returns the text (control characters other than the
    /// progress bar's removed, TerminalText.logs), the new offsets and whether the job ended and
    /// everything was read.
    public func logs(_ job: String, rank: Int? = nil, offsets: [Int] = []) throws(ClientError) -> (text: String, offsets: [Int], done: Bool) {
        var m = Message(.logs); m.job = job; m.rank = rank; m.offsets = offsets.isEmpty ? nil : offsets
        let r = try call(m)
        return (TerminalText.logs(r.text ?? ""), r.offsets ?? offsets, r.done ?? false)
    }

    /// Streams logs to `out` until the job ends; returns the final job.
    public func follow(_ job: String, rank: Int? = nil, pollMs: Int = 200, out: (String) -> Void) throws(ClientError) -> JobInfo {
        var offsets: [Int] = []
        while true {
            let chunk: (text: String, offsets: [Int], done: Bool)
            do { chunk = try logs(job, rank: rank, offsets: offsets) } catch {
                // A restarted attempt's logs start again, shorter: read the new attempt from its start.
                guard case let .rejected(code, message) = error, code == .badRequest, message.contains("offsets"), !offsets.isEmpty else { throw error }
                offsets = []
                continue
            }
            if !chunk.text.isEmpty { out(chunk.text) }
            offsets = chunk.offsets
            if chunk.done { return try status(job) }
            if chunk.text.isEmpty { usleep(UInt32(pollMs) * 1000) }
        }
    }

    /// Polls until the job is terminal or `timeout` seconds pass.
    public func wait(_ job: String, timeout: Double) throws(ClientError) -> JobInfo {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let j = try status(job)
            if j.state.isTerminal || Date() > deadline { return j }
            usleep(100_000)
        }
    }
}
