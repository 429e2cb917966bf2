// Implements: Request, the typed value of every message a coordinator serves (client requests,
// agent and trainer reports), one case per message kind with a struct of its own: a required field
// is non-optional there, so `Request(message)` is where required fields are checked, and a handler
// cannot see a request without them. Ranges and sizes are checked before (MessageSchema.swift).
import Foundation

public enum Request: Sendable, Equatable {
    case submit(Submit)
    case status(JobRef)
    case list(ListQuery)
    case logs(LogsQuery)
    case cancel(JobRef)
    case nodes
    case metrics(MetricsQuery)
    /// `register`, and a `heartbeat` without `job`: an agent's.
    case register(AgentReport)
    case agentHeartbeat(AgentReport)
    case workerExit(WorkerExit)
    /// Trainer reports: a `heartbeat` with `job` is a trainer's.
    case hello(Hello)
    case progress(ProgressReport)
    case checkpointCommitted(CheckpointCommitted)
    case trainerHeartbeat(TrainerHeartbeat)

    /// `submit`: the YAML text, a priority overriding the spec's, and whether to queue a job the
    /// live nodes cannot hold.
    public struct Submit: Sendable, Equatable {
        public var spec: String; public var priority: Int?; public var waitForNodes: Bool
        public init(spec: String, priority: Int?, waitForNodes: Bool) { self.spec = spec; self.priority = priority; self.waitForNodes = waitForNodes }
    }
    /// `status`, `cancel`: the job (a canonical id).
    public struct JobRef: Sendable, Equatable {
        public var job: Int64
        public init(job: Int64) { self.job = job }
    }
    /// `list`: jobs in `state` (all if nil) with ids below `after`, at most `limit`.
    public struct ListQuery: Sendable, Equatable {
        public var state: JobState?; public var after: Int64?; public var limit: Int
        public init(state: JobState?, after: Int64?, limit: Int) { self.state = state; self.after = after; self.limit = limit }
    }
    /// `logs`: one rank's log or all of them (`rank` nil), from byte `offsets` (empty: from 0).
    public struct LogsQuery: Sendable, Equatable {
        public var job: Int64; public var rank: Int?; public var offsets: [Int]
        public init(job: Int64, rank: Int?, offsets: [Int]) { self.job = job; self.rank = rank; self.offsets = offsets }
    }
    /// `metrics`: the job's progress points after index `after`, at most `limit`.
    public struct MetricsQuery: Sendable, Equatable {
        public var job: Int64; public var after: Int64?; public var limit: Int?
        public init(job: Int64, after: Int64?, limit: Int?) { self.job = job; self.after = after; self.limit = limit }
    }
    /// An agent's node; `processes` are the rank processes it sees (heartbeats).
    public struct AgentReport: Sendable, Equatable {
        public var node: String; public var host: String; public var address: String; public var slots: Int; public var processes: [RankProcess]
        public init(node: String, host: String, address: String, slots: Int, processes: [RankProcess]) {
            self.node = node; self.host = host; self.address = address; self.slots = slots; self.processes = processes
        }
    }
    public struct WorkerExit: Sendable, Equatable {
        public var node: String; public var job: Int64; public var rank: Int; public var pid: Int
        public init(node: String, job: Int64, rank: Int, pid: Int) { self.node = node; self.job = job; self.rank = rank; self.pid = pid }
    }
    /// Who sends a trainer report: a rank of an attempt of a job (the attempt is the fencing token).
    public struct Trainer: Sendable, Equatable {
        public var job: Int64; public var rank: Int; public var attempt: Int
        public init(job: Int64, rank: Int, attempt: Int) { self.job = job; self.rank = rank; self.attempt = attempt }
    }
    public struct Hello: Sendable, Equatable {
        public var from: Trainer; public var worldSize: Int; public var pid: Int; public var step: Int
        public init(from: Trainer, worldSize: Int, pid: Int, step: Int) { self.from = from; self.worldSize = worldSize; self.pid = pid; self.step = step }
    }
    /// `progress`: a training report (loss and speed at `step`), an evaluation, or both.
    public struct ProgressReport: Sendable, Equatable {
        public var from: Trainer; public var step: Int; public var loss: Double?; public var samplesPerS: Double?; public var evaluation: Evaluation?
        public init(from: Trainer, step: Int, loss: Double?, samplesPerS: Double?, evaluation: Evaluation?) {
            self.from = from; self.step = step; self.loss = loss; self.samplesPerS = samplesPerS; self.evaluation = evaluation
        }
    }
    public struct CheckpointCommitted: Sendable, Equatable {
        public var from: Trainer; public var step: Int; public var path: String
        public init(from: Trainer, step: Int, path: String) { self.from = from; self.step = step; self.path = path }
    }
    /// `done`: the rank's goodbye (it ended cleanly; stop watching it).
    public struct TrainerHeartbeat: Sendable, Equatable {
        public var from: Trainer; public var step: Int?; public var done: Bool
        public init(from: Trainer, step: Int?, done: Bool) { self.from = from; self.step = step; self.done = done }
    }

    /// The typed request of `m`.
    /// - Throws: the `error` reply `m` deserves: `bad-request` naming the first missing field, or
    ///   saying that `m` is a reply or push rather than a request.
    public init(_ m: Message) throws(Message) {
        let t = m.type.rawValue
        func need<T>(_ v: T?, _ name: String) throws(Message) -> T {
            guard let v else { throw Message.error(to: m.id, .badRequest, "\(t) needs the field \"\(name)\"") }
            return v
        }
        // A job id field holds a canonical id (MessageSchema), which Int64 reads.
        func job(_ name: String = "job") throws(Message) -> Int64 { Int64(try need(m.job, name)) ?? 0 }
        func trainer() throws(Message) -> Trainer { Trainer(job: try job(), rank: try need(m.rank, "rank"), attempt: try need(m.attempt, "attempt")) }
        func agent() throws(Message) -> AgentReport {
            let node = try need(m.node, "node")
            return AgentReport(node: node, host: m.host ?? node, address: try need(m.address, "address"), slots: try need(m.slots, "slots"),
                               processes: m.processes ?? [])
        }
        switch m.type {
        case .submit: self = .submit(Submit(spec: try need(m.spec, "spec"), priority: m.priority, waitForNodes: m.waitForNodes ?? false))
        case .status: self = .status(JobRef(job: try job()))
        case .cancel: self = .cancel(JobRef(job: try job()))
        case .list: self = .list(ListQuery(state: m.state, after: m.after.flatMap(Int64.init), limit: m.limit ?? WireLimits.defaultListLimit))
        case .logs: self = .logs(LogsQuery(job: try job(), rank: m.rank, offsets: m.offsets ?? []))
        case .metrics: self = .metrics(MetricsQuery(job: try job(), after: m.after.flatMap(Int64.init), limit: m.limit))
        case .nodes: self = .nodes
        case .register: self = .register(try agent())
        case .heartbeat where m.job == nil: self = .agentHeartbeat(try agent())
        case .heartbeat: self = .trainerHeartbeat(TrainerHeartbeat(from: try trainer(), step: m.step, done: m.done ?? false))
        case .workerExit:
            self = .workerExit(WorkerExit(node: try need(m.node, "node"), job: try job(), rank: try need(m.rank, "rank"), pid: try need(m.pid, "pid")))
        case .hello:
            self = .hello(Hello(from: try trainer(), worldSize: try need(m.worldSize, "world_size"), pid: try need(m.pid, "pid"), step: try need(m.step, "step")))
        case .progress:
            let from = try trainer(), step = try need(m.step, "step")
            // Without an evaluation, the training report is required.
            let loss = m.evaluation == nil ? try need(m.loss, "loss") : m.loss
            let rate = m.evaluation == nil || m.loss != nil ? try need(m.samplesPerS, "samples_per_s") : m.samplesPerS
            self = .progress(ProgressReport(from: from, step: step, loss: loss, samplesPerS: rate, evaluation: m.evaluation))
        case .checkpointCommitted:
            self = .checkpointCommitted(CheckpointCommitted(from: try trainer(), step: try need(m.step, "step"), path: try need(m.path, "path")))
        case .ok, .error, .kill:
            throw Message.error(to: m.id, .badRequest, "\(t) is not a request the coordinator accepts")
        }
    }
}

/// What every request carries besides its fields: the kind, the id its reply echoes, and how long
/// its requester waits (milliseconds).
public struct Envelope: Sendable, Equatable {
    public var kind: Message.Kind
    public var id: String
    public var timeoutMs: Int?
    public init(kind: Message.Kind, id: String, timeoutMs: Int?) { self.kind = kind; self.id = id; self.timeoutMs = timeoutMs }
    public init(_ m: Message) { self.init(kind: m.type, id: m.id, timeoutMs: m.timeoutMs) }
}
