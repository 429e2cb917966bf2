// Implements: the coordinator's answer to each v1 message type (docs/protocol.md, Messages): the
// dispatch, and the requests that change state (submit, cancel, agent register/heartbeat,
// worker-exit). The decoder has already checked every field's presence and range; queries are in
// CoordinatorQueries.swift, trainer reports in CoordinatorTrainers.swift.
import Foundation
import Spec
import Wire

extension Coordinator {
    /// Returns the reply to send, or nil for messages that get none. `at` is when the message was
    /// taken off the socket (liveness is stamped with it, not with when it is handled).
    func handle(_ m: Message, from identity: Data, at: Date) throws -> Message? {
        switch m.type {
        case .submit: return try submit(m)
        case .status: return try status(m)
        case .list: return try list(m)
        case .nodes:
            var r = Message.ok(to: m.id)
            r.nodeList = try nodeInfos()
            return r
        case .logs: return try logs(m)
        case .cancel: return try cancel(m)
        case .metrics: return try metrics(m)
        case .register, .heartbeat where m.job == nil: return try agentHello(m, identity: identity, at: at)
        case .workerExit:
            try store.event(job: m.job.flatMap(Int64.init), kind: "worker-exit", detail: "node \(m.node ?? "") rank \(m.rank ?? 0) pid \(m.pid ?? 0)")
            return .ok(to: m.id)
        case .hello, .progress, .checkpointCommitted, .heartbeat: return try trainer(m, at: at)
        case .ok, .error, .kill:
            return .error(to: m.id, .badRequest, "\(m.type.rawValue) is not a request the coordinator accepts")
        }
    }

    /// The job `m.job` names (a canonical id, checked by the decoder), or the error reply.
    func lookup(_ m: Message) throws -> Result<JobRow, Message> {
        guard let s = m.job else { return .failure(.error(to: m.id, .badRequest, "\(m.type.rawValue) needs the field \"job\"")) }
        guard let id = Int64(s), let row = try store.job(id) else { return .failure(.error(to: m.id, .unknownJob, "unknown job id \"\(s)\"")) }
        return .success(row)
    }

    func submit(_ m: Message) throws -> Message {
        guard let text = m.spec else { return .error(to: m.id, .badRequest, "submit needs the field \"spec\" (the YAML text)") }
        let s: SpecSummary
        do { s = try SpecSummary.parse(text) } catch { return .error(to: m.id, .badSpec, "\(error)") }
        let live = schedulerNodes()
        let capacity = live.reduce(0) { $0 + $1.total }
        if s.ranks > capacity && m.waitForNodes != true {
            return .error(to: m.id, .unschedulable, "job \(s.name) needs \(s.ranks) slots but the cluster has \(capacity) slot(s) on \(live.count) live node(s); pass --wait-for-nodes to queue it anyway")
        }
        let queued = try store.unfinishedCount()
        if queued >= config.maxQueuedJobs {
            return .error(to: m.id, .unschedulable, "queue is full: \(queued) unfinished jobs (max_queued_jobs \(config.maxQueuedJobs))")
        }
        let id = try store.insertJob(s, spec: text, priority: m.priority ?? s.priority, waitForNodes: m.waitForNodes ?? false)
        summaries[id] = s
        try schedule()  // start it now if it fits, so the reply already says RUNNING
        var r = Message.ok(to: m.id)
        r.jobInfo = try store.job(id).map(info)
        return r
    }

    func cancel(_ m: Message) throws -> Message {
        let job = try lookup(m)
        guard case var .success(row) = job else { return job.failureValue! }
        if row.state.isTerminal {
            return .error(to: m.id, .invalidState, "job \(row.id) is already \(row.state.rawValue)")
        }
        if active[row.id] != nil {
            try store.setCancelRequested(row.id)
            terminate(job: row.id)
        } else {
            try store.transition(row.id, from: row.state, to: .cancelled, reason: "cancelled by request")
            forget(row.id)
        }
        row = try store.job(row.id) ?? row
        var r = Message.ok(to: m.id); r.jobInfo = try info(row)
        return r
    }

    /// Drops the loop's per-job state of a job that reached a terminal state.
    func forget(_ job: Int64) {
        notBefore[job] = nil; failStreak[job] = nil; summaries[job] = nil
    }

    func agentHello(_ m: Message, identity: Data, at: Date) throws -> Message {
        guard let name = m.node, let slots = m.slots, let address = m.address else {
            return .error(to: m.id, .badRequest, "\(m.type.rawValue) needs the fields \"node\", \"address\" and \"slots\"")
        }
        let host = m.host ?? name
        let known = nodes[name]
        if m.type == .register || known == nil || known?.slots != slots || known?.address != address {
            try store.upsertNode(name: name, host: host, address: address, slots: slots)
        }
        nodes[name] = LiveNode(host: host, address: address, slots: slots, lastSeen: at, routingID: identity)
        var r = Message.ok(to: m.id)
        r.intervalMs = config.heartbeatIntervalMs
        return r
    }
}

extension Result {
    var failureValue: Failure? { if case let .failure(f) = self { return f }; return nil }
}
