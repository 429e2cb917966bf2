// Implements: the coordinator's read-only requests (status, list, logs, metrics, nodes) and the
// job_info they carry. Each is bounded: list and metrics are pages of at most a limit and of at
// most WireLimits.replyBytes once encoded, logs read at most a budget per reply, and every job
// query uses an index, so no request's cost grows with the finished jobs in the store.
import Foundation
import Wire

extension Coordinator {
    /// Raw log bytes one `logs` reply reads at most. JSON escaping can grow a byte to six and rank
    /// prefixes add a few per line, so the reply is encoded and, if over the limit, read again smaller.
    static let logBudgetBytes = 256 * 1024
    /// Most terminal jobs' infos kept in memory for `list` (about 0.5 KB each).
    static let finishedInfoLimit = 50_000

    func status(_ q: Request.JobRef, id: String) throws -> Message {
        guard let j = try info(of: q.job, history: true) else { return unknownJob(q.job, id: id) }
        var r = Message.ok(to: id); r.jobInfo = j
        return r
    }

    /// A page of jobs, newest first: those with ids below `after`, at most `limit` (default 100)
    /// and at most what fits in one reply; `next` is the cursor of the following page.
    func list(_ q: Request.ListQuery, id: String) throws -> Message {
        let limit = q.limit
        let (rows, total) = try store.jobPage(state: q.state, after: q.after, limit: limit)
        // A terminal job's info never changes (reports about it are fenced): read it once.
        let extras = try store.extras(of: rows.filter { finishedInfos[$0.id] == nil }.map(\.id))
        var r = Message.ok(to: id)
        r.total = total
        var jobs: [JobInfo] = [], bytes = 512  // the envelope
        for row in rows {
            let j = finishedInfos[row.id] ?? info(row, extras: extras[row.id] ?? JobExtras())
            if row.state.isTerminal && finishedInfos[row.id] == nil {
                if finishedInfos.count >= Self.finishedInfoLimit { finishedInfos.removeAll(keepingCapacity: true) }
                finishedInfos[row.id] = j
            }
            bytes += Self.encodedBound(j)
            if bytes > WireLimits.replyBytes { break }
            jobs.append(j)
        }
        r.jobs = jobs
        if let last = jobs.last, jobs.count < rows.count || rows.count == limit, total > 0 {
            r.next = last.id
        }
        return r
    }

    /// An upper bound of `j`'s JSON size without encoding it: the fixed keys and numbers, and six
    /// bytes per byte of text (the longest JSON escape, \u00XX).
    static func encodedBound(_ j: JobInfo) -> Int {
        let text = j.name.utf8.count + (j.reason?.utf8.count ?? 0) + j.id.utf8.count + (j.lastCheckpointPath?.utf8.count ?? 0)
        return 600 + 6 * text + j.allocation.reduce(0) { $0 + 60 + 6 * ($1.node.utf8.count + $1.address.utf8.count) }
    }

    func metrics(_ q: Request.MetricsQuery, id: String) throws -> Message {
        let job = try lookup(q.job, id: id)
        guard case let .success(row) = job else { return job.failureValue! }
        let page = try store.progressPage(job: row.id, after: q.after, limit: q.limit ?? WireLimits.metricsLimitRange.upperBound)
        var r = Message.ok(to: id); r.points = page.points; r.next = page.next.map { "\($0)" }
        return r
    }

    /// Logs of the latest attempt, per rank from the given byte offsets (one per requested rank, or
    /// none for all zero); every offset must lie within its file.
    func logs(_ q: Request.LogsQuery, id: String) throws -> Message {
        let job = try lookup(q.job, id: id)
        guard case let .success(row) = job else { return job.failureValue! }
        if let rank = q.rank, rank >= row.ranks {
            return .error(to: id, .badRequest, "field \"rank\": rank \(rank) is out of range for job \(row.id) with \(row.ranks) rank(s)")
        }
        let ranks = q.rank.map { [$0] } ?? Array(0 ..< row.ranks)
        var offsets = q.offsets
        if !offsets.isEmpty && offsets.count != ranks.count {
            return .error(to: id, .badRequest, "field \"offsets\" has \(offsets.count) entries; job \(row.id) needs one per requested rank (\(ranks.count)) or none")
        }
        if offsets.isEmpty { offsets = Array(repeating: 0, count: ranks.count) }
        let files = try store.latestAttempt(job: row.id).map { Launcher.rankLogs(dir: $0.dir) } ?? [:]
        for (i, rank) in ranks.enumerated() where offsets[i] > 0 {
            let size = files[rank].flatMap { try? FileManager.default.attributesOfItem(atPath: $0)[.size] as? Int } ?? 0
            if offsets[i] > size {
                return .error(to: id, .badRequest, "field \"offsets\": offset \(offsets[i]) of rank \(rank) is past the end of its log (\(size) bytes)")
            }
        }
        var budget = Self.logBudgetBytes
        while true {
            var r = readLogs(row, ranks: ranks, files: files, from: offsets, budget: budget, prefixed: q.rank == nil)
            r.id = id
            if MessageCodec.encode(r).count <= WireLimits.replyBytes || budget < 1024 { return r }
            budget /= 4
        }
    }

    private func readLogs(_ row: JobRow, ranks: [Int], files: [Int: String], from start: [Int], budget: Int, prefixed: Bool) -> Message {
        var offsets = start, text = "", left = budget, complete = true
        for (i, rank) in ranks.enumerated() {
            guard left > 0, let path = files[rank], let fh = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? fh.close() }
            guard (try? fh.seek(toOffset: UInt64(offsets[i]))) != nil else { continue }
            let data = (try? fh.read(upToCount: left)) ?? Data()
            // Only whole lines and whole progress-bar redraws while the job runs (a redraw is whole
            // once the next "\r" starts), so prefixes stay aligned and a bar moves live; once the job
            // has ended, a last line without a newline is returned too (and given one).
            let ended = row.state.isTerminal && data.count < left
            let line = data.lastIndex(of: UInt8(ascii: "\n")).map { $0 - data.startIndex + 1 } ?? 0
            let redraw = data.lastIndex(of: UInt8(ascii: "\r")).map { $0 - data.startIndex } ?? 0
            let cut = ended ? data.count : max(line, redraw)
            var chunk = data.prefix(cut)
            left -= chunk.count
            offsets[i] += chunk.count
            if left <= 0 { complete = false }
            if ended, let last = chunk.last, last != UInt8(ascii: "\n") { chunk.append(UInt8(ascii: "\n")) }
            let s = String(decoding: chunk, as: UTF8.self)
            text += prefixed ? LogText.prefixed(s, "[\(rank)] ") : s
        }
        var r = Message(.ok, id: "")
        r.text = text; r.offsets = offsets
        r.done = row.state.isTerminal && complete
        return r
    }

    /// job_info of job `job` as stored now, read in one transaction (nil: no such job); with
    /// `history`, every attempt and why it ended (`status`).
    func info(of job: Int64, history: Bool = false) throws -> JobInfo? {
        guard let d = try store.jobDetail(job, history: history) else { return nil }
        var j = info(d.row, extras: d.extras)
        if history {
            j.lastCheckpointPath = d.extras.lastCheckpointPath
            (j.totalSteps, j.etaSeconds) = remaining(d.row, progress: d.extras.progress)
            j.history = d.attempts.map {
                AttemptInfo(number: $0.number, ranks: $0.ranks, allocation: $0.allocation, startedAt: $0.startedAt,
                            finishedAt: $0.finishedAt, exitCode: $0.exitCode, outcome: $0.outcome, reason: $0.reason, startStep: $0.startStep)
            }
        }
        return j
    }

    func info(_ row: JobRow, extras: JobExtras) -> JobInfo {
        var reason = row.reason
        if row.state == .pending { reason = waitReason(row) }
        if row.state == .restarting && active[row.id] == nil { reason = (row.reason.map { $0 + "; " } ?? "") + waitReason(row) }
        return JobInfo(id: "\(row.id)", name: row.name, state: row.state, ranks: row.ranks, priority: row.priority, reason: reason,
                       submittedAt: row.submittedAt, startedAt: row.startedAt, finishedAt: row.finishedAt, exitCode: row.exitCode,
                       attempts: row.attempts, allocation: extras.attempt?.allocation ?? [],
                       progress: extras.progress, lastCheckpointStep: extras.lastCheckpointStep, evaluation: extras.evaluation)
    }

    /// "needs 4 slots; 2 free on 1 live node", plus what it waits behind.
    func waitReason(_ row: JobRow) -> String {
        let n = schedulerNodes()
        let free = n.reduce(0) { $0 + $1.free }, total = n.reduce(0) { $0 + $1.total }
        let need = row.state == .restarting ? restartSizes(row).min() ?? row.ranks : row.ranks
        let needs = need == row.ranks ? "\(need)" : "\(need)–\(row.ranks)"
        var s = "needs \(needs) slot\(row.ranks == 1 ? "" : "s"); \(free) free on \(n.count) live node\(n.count == 1 ? "" : "s")"
        if let t = jobs[row.id]?.notBefore, t > Date() { s += String(format: " (back-off: %.1f s left)", t.timeIntervalSinceNow) }
        else if need > total { s += " (waiting for nodes: the cluster has \(total) slots)" } else if free >= need { s += " (queued behind earlier or higher-priority jobs)" }
        return s
    }

    func nodeInfos() throws -> [NodeInfo] {
        let used = usedSlots()
        return try store.nodeRows().map { r in
            NodeInfo(name: r.name, host: r.host, address: r.address, slots: r.slots, used: used[r.name, default: 0],
                     live: nodes[r.name].map(isLive) ?? false, lastSeen: nodes[r.name]?.lastSeen.timeIntervalSince1970 ?? r.lastSeen)
        }
    }
}
