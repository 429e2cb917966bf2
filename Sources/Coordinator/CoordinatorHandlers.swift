// Implements: the coordinator's answer to each v1 message type (docs/protocol.md, Messages):
// client requests, agent register/heartbeat/worker-exit, trainer hello/progress/checkpoint/heartbeat.
import Foundation
import Wire

extension Coordinator {
    /// Returns the reply to send, or nil for messages that get none.
    func handle(_ m: Message, from identity: Data) throws -> Message? {
        switch m.type {
        case .submit: return try submit(m)
        case .status:
            let job = try lookup(m)
            guard case let .success(row) = job else { return job.failureValue! }
            var r = Message.ok(to: m.id); r.jobInfo = try info(row, history: true)
            return r
        case .list:
            var r = Message.ok(to: m.id)
            r.jobs = try store.jobs(state: m.state).map(info)
            return r
        case .nodes:
            var r = Message.ok(to: m.id)
            r.nodeList = try nodeInfos()
            return r
        case .logs: return try logs(m)
        case .cancel: return try cancel(m)
        case .metrics:
            let job = try lookup(m)
            guard case let .success(row) = job else { return job.failureValue! }
            var r = Message.ok(to: m.id); r.points = try store.progress(job: row.id)
            return r
        case .register, .heartbeat where m.job == nil: return try agentHello(m, identity: identity)
        case .workerExit:
            try store.event(job: m.job.flatMap(Int64.init), kind: "worker-exit", detail: "node \(m.node ?? "?") rank \(m.rank ?? -1) pid \(m.pid ?? -1)")
            return .ok(to: m.id)
        case .hello, .progress, .checkpointCommitted, .heartbeat: return try trainer(m)
        case .ok, .error, .kill:
            return .error(to: m.id, .badRequest, "\(m.type.rawValue) is not a request the coordinator accepts")
        }
    }

    func lookup(_ m: Message) throws -> Result<JobRow, Message> {
        guard let s = m.job else { return .failure(.error(to: m.id, .badRequest, "\(m.type.rawValue) needs a \"job\" field")) }
        guard let id = Int64(s), let row = try store.job(id) else { return .failure(.error(to: m.id, .unknownJob, "unknown job id \"\(s)\"")) }
        return .success(row)
    }

    func submit(_ m: Message) throws -> Message {
        guard let text = m.spec else { return .error(to: m.id, .badRequest, "submit needs a \"spec\" field (the YAML text)") }
        let s: SpecSummary
        do { s = try SpecSummary.parse(text) } catch { return .error(to: m.id, .badSpec, "\(error)") }
        let live = schedulerNodes()
        let capacity = live.reduce(0) { $0 + $1.total }
        if s.ranks > capacity && m.waitForNodes != true {
            return .error(to: m.id, .unschedulable, "job \(s.name) needs \(s.ranks) slots but the cluster has \(capacity) slot(s) on \(live.count) live node(s); pass --wait-for-nodes to queue it anyway")
        }
        let queued = try store.jobs(in: [.pending, .scheduled, .running, .restarting]).count
        if queued >= config.maxQueuedJobs {
            return .error(to: m.id, .unschedulable, "queue is full: \(queued) unfinished jobs (max_queued_jobs \(config.maxQueuedJobs))")
        }
        let id = try store.insertJob(s, spec: text, priority: m.priority ?? s.priority, waitForNodes: m.waitForNodes ?? false)
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
            notBefore[row.id] = nil; failStreak[row.id] = nil; summaries[row.id] = nil
        }
        row = try store.job(row.id) ?? row
        var r = Message.ok(to: m.id); r.jobInfo = try info(row)
        return r
    }

    /// Logs of the latest attempt, per rank from the given byte offsets; at most 512 KiB per reply.
    func logs(_ m: Message) throws -> Message {
        let job = try lookup(m)
        guard case let .success(row) = job else { return job.failureValue! }
        var r = Message.ok(to: m.id)
        let files = try store.latestAttempt(job: row.id).map { Launcher.rankLogs(dir: $0.dir) } ?? [:]
        let ranks = m.rank.map { [$0] } ?? Array(0 ..< row.ranks)
        if let rank = m.rank, rank < 0 || rank >= row.ranks {
            return .error(to: m.id, .badRequest, "rank \(rank) is out of range for job \(row.id) with \(row.ranks) rank(s)")
        }
        var offsets = m.offsets ?? []
        while offsets.count < ranks.count { offsets.append(0) }
        var text = "", budget = 512 * 1024, complete = true
        for (i, rank) in ranks.enumerated() {
            guard let path = files[rank], let fh = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? fh.close() }
            try fh.seek(toOffset: UInt64(offsets[i]))
            let data = fh.readData(ofLength: budget)
            // Only whole lines while the job runs, so prefixes stay aligned; once it has ended, a
            // last line without a newline is returned too (and given one).
            let ended = row.state.isTerminal && data.count < budget
            let cut = ended ? data.count : (data.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0)
            var chunk = data.prefix(cut)
            budget -= chunk.count
            offsets[i] += chunk.count
            if budget <= 0 { complete = false }
            if ended, let last = chunk.last, last != UInt8(ascii: "\n") { chunk.append(UInt8(ascii: "\n")) }
            let s = String(decoding: chunk, as: UTF8.self)
            text += m.rank != nil ? s : s.split(separator: "\n", omittingEmptySubsequences: false).dropLast().map { "[\(rank)] \($0)\n" }.joined()
        }
        r.text = text; r.offsets = offsets
        r.done = row.state.isTerminal && complete
        return r
    }

    func agentHello(_ m: Message, identity: Data) throws -> Message {
        guard let name = m.node, let slots = m.slots, slots >= 0, slots <= 4096 else {
            return .error(to: m.id, .badRequest, "\(m.type.rawValue) needs \"node\" and \"slots\" (0…4096), got node \(m.node ?? "nil") slots \(m.slots.map(String.init) ?? "nil")")
        }
        let address = m.address ?? "127.0.0.1"
        let known = nodes[name]
        if m.type == .register || known == nil || known?.slots != slots || known?.address != address {
            try store.upsertNode(name: name, host: m.host ?? name, address: address, slots: slots)
        }
        nodes[name] = LiveNode(host: m.host ?? name, address: address, slots: slots, lastSeen: Date(), routingID: identity)
        var r = Message.ok(to: m.id)
        r.intervalMs = config.heartbeatIntervalMs
        return r
    }

    func trainer(_ m: Message) throws -> Message {
        let job = try lookup(m)
        guard case let .success(row) = job else { return job.failureValue! }
        switch m.type {
        case .progress:
            guard let step = m.step, let loss = m.loss else { return .error(to: m.id, .badRequest, "progress needs \"step\" and \"loss\"") }
            try store.addProgress(job: row.id, rank: m.rank ?? 0, step: step, loss: loss, samplesPerS: m.samplesPerS ?? 0)
        case .checkpointCommitted:
            // Recorded even from an attempt being ended: the checkpoint is durable either way.
            guard let step = m.step, let path = m.path else { return .error(to: m.id, .badRequest, "checkpoint-committed needs \"step\" and \"path\"") }
            try store.addCheckpoint(job: row.id, step: step, path: path)
            if let a = active[row.id], m.attempt.map({ Int64($0) == a.attempt }) ?? true {
                active[row.id]?.committed = true
                failStreak[row.id] = 0
                try considerGrowth(row.id)
            }
        case .hello:
            try store.event(job: row.id, kind: "trainer-hello",
                            detail: "rank \(m.rank ?? -1) of \(m.worldSize ?? -1) pid \(m.pid ?? -1) attempt \(m.attempt ?? -1) from step \(m.step ?? 0)")
            if m.rank == 0, let attempt = m.attempt, let step = m.step { try store.setAttemptStartStep(Int64(attempt), step: step) }
        default: break  // heartbeat: liveness only
        }
        return trainerBeat(m, job: row.id) ?? .ok(to: m.id)
    }

    func info(_ row: JobRow) throws -> JobInfo { try info(row, history: false) }

    /// With `history`, every attempt and why it ended (`status`).
    func info(_ row: JobRow, history: Bool) throws -> JobInfo {
        let attempt = try store.latestAttempt(job: row.id)
        var reason = row.reason
        if row.state == .pending { reason = waitReason(row) }
        if row.state == .restarting && active[row.id] == nil { reason = (row.reason.map { $0 + "; " } ?? "") + waitReason(row) }
        return JobInfo(id: "\(row.id)", name: row.name, state: row.state, ranks: row.ranks, priority: row.priority, reason: reason,
                       submittedAt: row.submittedAt, startedAt: row.startedAt, finishedAt: row.finishedAt, exitCode: row.exitCode,
                       attempts: row.attempts, allocation: row.state.isTerminal || row.state == .pending ? attempt?.allocation ?? [] : attempt?.allocation ?? [],
                       progress: try store.latestProgress(job: row.id), lastCheckpointStep: try store.lastCheckpointStep(job: row.id),
                       history: history ? try store.attempts(job: row.id).map {
                           AttemptInfo(number: $0.number, ranks: $0.ranks, allocation: $0.allocation, startedAt: $0.startedAt,
                                       finishedAt: $0.finishedAt, exitCode: $0.exitCode, outcome: $0.outcome, reason: $0.reason, startStep: $0.startStep)
                       } : nil)
    }

    /// "needs 4 slots; 2 free on 1 live node", plus what it waits behind.
    func waitReason(_ row: JobRow) -> String {
        let n = schedulerNodes()
        let free = n.reduce(0) { $0 + $1.free }, total = n.reduce(0) { $0 + $1.total }
        let need = row.state == .restarting ? restartSizes(row).min() ?? row.ranks : row.ranks
        let needs = need == row.ranks ? "\(need)" : "\(need)–\(row.ranks)"
        var s = "needs \(needs) slot\(row.ranks == 1 ? "" : "s"); \(free) free on \(n.count) live node\(n.count == 1 ? "" : "s")"
        if let t = notBefore[row.id], t > Date() { s += String(format: " (back-off: %.1f s left)", t.timeIntervalSinceNow) }
        else if need > total { s += " (waiting for nodes: the cluster has \(total) slots)" } else if free >= need { s += " (queued behind earlier or higher-priority jobs)" }
        return s
    }

    func nodeInfos() throws -> [NodeInfo] {
        let used = usedSlots()
        return try store.nodes().map { r in
            let name: String = r["name"]
            let live = nodes[name].map(isLive) ?? false
            return NodeInfo(name: name, host: r["host"], address: r["address"], slots: r["slots"], used: used[name, default: 0],
                            live: live, lastSeen: nodes[name]?.lastSeen.timeIntervalSince1970 ?? r["last_seen"])
        }
    }
}

extension Result {
    var failureValue: Failure? { if case let .failure(f) = self { return f }; return nil }
}
