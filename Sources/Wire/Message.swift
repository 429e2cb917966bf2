// Implements: Message, the one JSON body of every v1 frame, and its strict decoding: a frame that
// is not JSON, lacks `v`/`type`/`id`, has another version or an unknown type is an error value,
// never a crash. Fields not used by a type are absent (nil) on the wire.
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
    /// `kill`: "TERM" (graceful, SIGKILL after 2 s) or "KILL" (at once; a fault's ranks need no grace).
    public var signal: String?
    // trainer
    /// The attempt a trainer belongs to (COHORT_ATTEMPT); a heartbeat of an attempt that is over is
    /// answered with `stale-attempt`, and the rank exits.
    public var attempt: Int?
    public var worldSize: Int?
    public var step: Int?
    public var loss: Double?
    public var samplesPerS: Double?
    public var path: String?
    // replies
    public var code: ProtocolErrorCode?
    public var message: String?
    public var jobInfo: JobInfo?
    public var jobs: [JobInfo]?
    public var nodeList: [NodeInfo]?
    public var text: String?
    public var done: Bool?
    public var points: [ProgressPoint]?
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
}

/// JSON coding of messages with snake_case keys.
public enum MessageCodec {
    public static func encode(_ m: Message) -> Data {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        // Encoding our own Codable structs cannot fail (no floats are NaN by construction).
        return (try? e.encode(m)) ?? Data("{}".utf8)
    }

    /// Decodes a body frame.
    /// - Returns: the message, or the error reply that the frame deserves (with the id when readable).
    public static func decode(_ body: Data) -> Result<Message, Message> {
        if body.count > WireProtocol.maxFrameBytes {
            return .failure(.error(to: "", .tooLarge, "frame of \(body.count) bytes exceeds the limit of \(WireProtocol.maxFrameBytes) bytes"))
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
        d.keyDecodingStrategy = .convertFromSnakeCase
        do { return .success(try d.decode(Message.self, from: body)) } catch {
            return .failure(.error(to: id, .malformed, "field of wrong type: \(describe(error))"))
        }
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
