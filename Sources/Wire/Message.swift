// Implements: Message, the one JSON body of every v1 frame (the wire form, every field optional),
// and its strict decoding: a frame that is not JSON, lacks `v`/`type`/`id`, has another version or
// an unknown type, a field out of range (MessageSchema) or a required field missing (the typed
// value of its kind: Request, Kill) is an error value, never a crash. Fields not used by a type
// are absent (nil) on the wire.
import Foundation

public struct Message: Codable, Sendable, Equatable {
    /// Message types of v1 (docs/protocol.md, Messages).
    public enum Kind: String, Codable, Sendable, CaseIterable {
        // client requests
        case submit, status, list, logs, cancel, nodes, metrics
        // agent
        case register, heartbeat, workerExit = "worker-exit"
        // trainer (heartbeat is shared: a trainer's carries `job` and `rank`)
        case hello, progress, checkpointCommitted = "checkpoint-committed"
        // replies and pushes
        case ok, error, kill
    }

    public var v: Int
    public var type: Kind
    /// Chosen by the requester, echoed by the reply.
    public var id: String

    // requests
    public var job: String?
    public var spec: String?
    public var priority: Int?
    public var waitForNodes: Bool?
    public var state: JobState?
    /// `list`: the page after this job id (ids run newest first); `limit`: at most this many
    /// entries (`list`, `metrics`); `metrics`: `after` is the index of the last point already read.
    public var after: String?
    public var limit: Int?
    /// How long the requester waits for the reply (milliseconds): a request that has waited longer
    /// at the coordinator is not executed (its requester gave up) and is answered `expired`.
    public var timeoutMs: Int?
    public var rank: Int?
    public var offsets: [Int]?
    // agent
    public var node: String?
    public var host: String?
    public var address: String?
    public var slots: Int?
    public var processes: [RankProcess]?
    public var pid: Int?
    public var ranks: [Int]?
    /// `kill`: TERM (graceful, SIGKILL after the kill grace) or KILL (at once; a fault's ranks need no grace).
    public var signal: KillSignal?
    /// `kill` with TERM: milliseconds between SIGTERM and SIGKILL (the coordinator's kill_grace_ms).
    public var graceMs: Int?
    // trainer
    /// The attempt a trainer belongs to (COHORT_ATTEMPT); a heartbeat of an attempt that is over is
    /// answered with `stale-attempt`, and the rank exits.
    public var attempt: Int?
    public var worldSize: Int?
    public var step: Int?
    public var loss: Double?
    public var samplesPerS: Double?
    public var path: String?
    /// `progress`: the latest evaluation (a metric such as val_loss or test_accuracy, at a step).
    public var evaluation: Evaluation?
    // replies
    public var code: ProtocolErrorCode?
    public var message: String?
    public var jobInfo: JobInfo?
    public var jobs: [JobInfo]?
    public var nodeList: [NodeInfo]?
    public var text: String?
    public var done: Bool?
    public var points: [ProgressPoint]?
    /// `list`: jobs matching the filter in all pages; `next`: the `after` of the next page (absent
    /// on the last page). `metrics`: `next` is the `after` of the next page of points.
    public var total: Int?
    public var next: String?
    /// The coordinator's heartbeat interval, in its `ok` to an agent's register and heartbeat: the
    /// agent heartbeats at that pace (milliseconds).
    public var intervalMs: Int?

    public init(_ type: Kind, id: String = Message.newID()) {
        self.v = WireProtocol.version; self.type = type; self.id = id
    }

    /// An `ok` reply to `request`.
    public static func ok(to request: String) -> Message { Message(.ok, id: request) }

    /// An `error` reply with `code` and a human sentence naming the bad value.
    public static func error(to request: String, _ code: ProtocolErrorCode, _ message: String) -> Message {
        var m = Message(.error, id: request)
        m.code = code; m.message = message
        return m
    }

    nonisolated(unsafe) private static var counter = 0
    private static let counterLock = NSLock()
    /// A process-unique request id.
    public static func newID() -> String {
        counterLock.lock(); defer { counterLock.unlock() }
        counter += 1
        return "\(getpid())-\(counter)"
    }

    /// Wire names, snake_case (spelled out: a key strategy costs a conversion per key per decode).
    private enum CodingKeys: String, CodingKey {
        case v, type, id, job, spec, priority, waitForNodes = "wait_for_nodes", state, after, limit, timeoutMs = "timeout_ms"
        case rank, offsets, node, host, address, slots, processes, pid, ranks, signal, graceMs = "grace_ms"
        case attempt, worldSize = "world_size", step, loss, samplesPerS = "samples_per_s", path, evaluation
        case code, message, jobInfo = "job_info", jobs, nodeList = "node_list", text, done, points, total, next, intervalMs = "interval_ms"
    }
}

/// JSON coding of messages; keys are snake_case (the CodingKeys of Message and Records).
public enum MessageCodec {
    public static func encode(_ m: Message) -> Data {
        let e = JSONEncoder()
        // Encoding our own Codable structs cannot fail (no floats are NaN by construction).
        return (try? e.encode(m)) ?? Data("{}".utf8)
    }

    /// Decodes a body frame.
    /// - Returns: the message, or the error reply that the frame deserves (with the id when readable).
    /// - Parameter limit: the largest body accepted (requests: max_frame_bytes; a client reading
    ///   replies passes WireProtocol.hardMessageCapBytes).
    public static func decode(_ body: Data, limit: Int = WireProtocol.maxFrameBytes) -> Result<Message, Message> {
        if body.count > limit {
            return .failure(.error(to: "", .tooLarge, "frame of \(body.count) bytes exceeds the limit of \(limit) bytes"))
        }
        if let depth = jsonDepthExceeding(body, WireLimits.jsonDepth) {
            return .failure(.error(to: "", .malformed, "body nests arrays and objects deeper than \(WireLimits.jsonDepth) levels (at byte \(depth))"))
        }
        guard let any = try? JSONSerialization.jsonObject(with: body), let obj = any as? [String: Any] else {
            return .failure(.error(to: "", .malformed, "body is not a JSON object (\(body.count) bytes)"))
        }
        let id = obj["id"] as? String ?? ""
        guard let v = obj["v"] as? Int else {
            return .failure(.error(to: id, .malformed, "missing or non-integer field \"v\""))
        }
        guard v == WireProtocol.version else {
            return .failure(.error(to: id, .badVersion, "protocol version \(v) is not supported; this coordinator speaks v\(WireProtocol.version)"))
        }
        guard let type = obj["type"] as? String else {
            return .failure(.error(to: id, .malformed, "missing or non-string field \"type\""))
        }
        guard Message.Kind(rawValue: type) != nil else {
            return .failure(.error(to: id, .unknownType, "unknown message type \"\(type)\""))
        }
        guard obj["id"] is String else { return .failure(.error(to: "", .malformed, "missing or non-string field \"id\"")) }
        let d = JSONDecoder()
        let m: Message
        do { m = try d.decode(Message.self, from: body) } catch {
            return .failure(.error(to: id, .malformed, "field of wrong type: \(describe(error))"))
        }
        if let problem = m.problem() {
            let readable = m.id.utf8.count <= WireLimits.requestIDBytes && TerminalText.isPrintable(m.id)
            return .failure(.error(to: readable ? m.id : "", .badRequest, problem))
        }
        // Required fields: the typed value of the kind is built (and dropped) here.
        do throws(Message) {
            switch m.type {
            case .ok: break
            case .error:
                if m.code == nil { throw Message.error(to: m.id, .badRequest, "error needs the field \"code\"") }
                if m.message == nil { throw Message.error(to: m.id, .badRequest, "error needs the field \"message\"") }
            case .kill: _ = try Kill(m)
            default: _ = try Request(m)
            }
        } catch { return .failure(error) }
        return .success(m)
    }

    /// Decodes a body frame into the request it carries, typed by kind.
    /// - Returns: the request and its envelope, or the error reply the frame deserves (a reply or
    ///   push, which is no request, gets `bad-request`).
    public static func decodeRequest(_ body: Data, limit: Int = WireProtocol.maxFrameBytes) -> Result<(Envelope, Request), Message> {
        decode(body, limit: limit).flatMap { m in
            do throws(Message) { return .success((Envelope(m), try Request(m))) } catch { return .failure(error) }
        }
    }

    /// The offset of the first byte nesting deeper than `max` arrays/objects (outside strings), or
    /// nil: refused before parsing, so no parser recurses on a hostile body.
    static func jsonDepthExceeding(_ body: Data, _ max: Int) -> Int? {
        var depth = 0, inString = false, escaped = false
        for (i, b) in body.enumerated() {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"):
                depth += 1
                if depth > max { return i }
            case UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
            default: break
            }
        }
        return nil
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case let DecodingError.typeMismatch(_, c), let DecodingError.valueNotFound(_, c), let DecodingError.dataCorrupted(c):
            return c.codingPath.map(\.stringValue).joined(separator: ".") + ": " + c.debugDescription
        case let DecodingError.keyNotFound(k, _): return "missing \(k.stringValue)"
        default: return "\(error)"
        }
    }
}

/// An `error` reply can travel as the failure of `MessageCodec.decode`.
extension Message: Error {}
