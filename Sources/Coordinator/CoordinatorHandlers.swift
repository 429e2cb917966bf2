// Implements: the coordinator's answer to each v1 request (docs/protocol.md, Messages): the
// dispatch over the typed Request, and the requests that change state (submit, cancel, agent
// register/heartbeat, worker-exit). The decoder has already checked every field's presence and
// range; queries are in CoordinatorQueries.swift, trainer reports in CoordinatorTrainers.swift.
import Foundation
import Spec
import Wire

extension Coordinator {
    /// Returns the reply to request `id`, or nil for messages that get none. `at` is when the
    /// message was taken off the socket (liveness is stamped with it, not with when it is handled).
    func handle(_ request: Request, id: String, from identity: Data, at: Date) throws -> Message? {
        switch request {
        case let .submit(r): return try submit(r, id: id)
        case let .status(r): return try status(r, id: id)
        case let .list(r): return try list(r, id: id)
        case .nodes:
            var reply = Message.ok(to: id)
            reply.nodeList = try nodeInfos()
            return reply
        case let .logs(r): return try logs(r, id: id)
        case let .cancel(r): return try cancel(r, id: id)
        case let .metrics(r): return try metrics(r, id: id)
        case let .register(r): return try agentHello(r, registering: true, id: id, identity: identity, at: at)
        case let .agentHeartbeat(r): return try agentHello(r, registering: false, id: id, identity: identity, at: at)
        case let .workerExit(r):
            try store.event(job: r.job, kind: "worker-exit", detail: "node \(r.node) rank \(r.rank) pid \(r.pid)")
            return .ok(to: id)
        case let .hello(r): return try trainer(r.from, id: id, at: at) { a in try self.hello(r, a) }
        case let .progress(r): return try trainer(r.from, id: id, at: at) { a in try self.progress(r, a) }
        case let .checkpointCommitted(r): return try checkpointCommitted(r, id: id, at: at)
        case let .trainerHeartbeat(r): return try trainer(r.from, id: id, done: r.done, at: at) { _ in }
        }
    }

    /// The job `job` names, or the `unknown-job` reply.
    func lookup(_ job: Int64, id: String) throws -> Result<JobRow, Message> {
        guard let row = try store.job(job) else { return .failure(unknownJob(job, id: id)) }
        return .success(row)
    }

    func unknownJob(_ job: Int64, id: String) -> Message { .error(to: id, .unknownJob, "unknown job id \"\(job)\"") }

    func submit(_ r: Request.Submit, id: String) throws -> Message {
        let s: SpecSummary
        do { s = try SpecSummary.parse(r.spec) } catch { return .error(to: id, .badSpec, "\(error)") }
        let live = schedulerNodes()
        let capacity = live.reduce(0) { $0 + $1.total }
        if s.ranks > capacity && !r.waitForNodes {
            return .error(to: id, .unschedulable, "job \(s.name) needs \(s.ranks) slots but the cluster has \(capacity) slot(s) on \(live.count) live node(s); pass --wait-for-nodes to queue it anyway")
        }
        let job: Int64
        do { job = try store.insertJob(s, spec: r.spec, priority: r.priority ?? s.priority, waitForNodes: r.waitForNodes, queueLimit: config.maxQueuedJobs) }
        catch let full as Store.QueueFull {
            return .error(to: id, .unschedulable, "queue is full: \(full.unfinished) unfinished jobs (max_queued_jobs \(config.maxQueuedJobs))")
        }
        jobs[job, default: JobLoop()].summary = s
        // Start it now if it fits, so the reply already says RUNNING. A submit changes no other
        // job's fit: when its own ranks exceed the free slots, the tick's pass will do.
        if s.ranks <= live.reduce(0, { $0 + $1.free }) { try schedule() }
        var reply = Message.ok(to: id)
        reply.jobInfo = try info(of: job)
        return reply
    }

    func cancel(_ r: Request.JobRef, id: String) throws -> Message {
        let job = try lookup(r.job, id: id)
        guard case let .success(row) = job else { return job.failureValue! }
        if row.state.isTerminal {
            return .error(to: id, .invalidState, "job \(row.id) is already \(row.state.rawValue)")
        }
        if active[row.id] != nil {
            try store.setCancelRequested(row.id)
            terminate(job: row.id)
        } else {
            try store.transition(row.id, from: row.state, to: .cancelled, reason: "cancelled by request")
            forget(row.id)
        }
        var reply = Message.ok(to: id); reply.jobInfo = try info(of: row.id)
        return reply
    }

    /// Drops the loop's per-job state of a job that reached a terminal state.
    func forget(_ job: Int64) { jobs[job] = nil }

    func agentHello(_ r: Request.AgentReport, registering: Bool, id: String, identity: Data, at: Date) throws -> Message {
        let known = nodes[r.node]
        if registering || known == nil || known?.slots != r.slots || known?.address != r.address {
            try store.upsertNode(name: r.node, host: r.host, address: r.address, slots: r.slots)
        }
        nodes[r.node] = LiveNode(host: r.host, address: r.address, slots: r.slots, lastSeen: at, routingID: identity)
        var reply = Message.ok(to: id)
        reply.intervalMs = config.heartbeatIntervalMs
        return reply
    }
}

extension Result {
    var failureValue: Failure? { if case let .failure(f) = self { return f }; return nil }
}
