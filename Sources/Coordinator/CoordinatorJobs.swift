// Implements: the job life cycle on the coordinator's thread: scheduling queued jobs onto free
// slots and launching them, watching attempts end (exit code, cancel, restart policy),
// terminating attempts, and re-attaching to attempts after a coordinator crash.
import Foundation
import Wire

extension Coordinator {
    func jobDir(_ id: Int64) -> String { "\(config.stateDir)/jobs/\(id)" }

    /// Launches queued jobs in Scheduler order while they fit.
    func schedule() throws {
        let now = Date()
        let queued = try store.queuedJobs().filter { active[$0.id] == nil && jobs[$0.id]?.notBefore.map { $0 <= now } ?? true }
        guard !queued.isEmpty else { return }
        // A first launch waits for all its ranks; a restart of an elastic job takes what is live.
        let plan = Scheduler.plan(queue: queued.map {
            .init(id: $0.id, ranks: $0.ranks, priority: $0.priority, sizes: $0.state == .restarting ? restartSizes($0) : nil)
        }, nodes: schedulerNodes())
        for (q, slices) in plan {
            guard let job = queued.first(where: { $0.id == q.id }) else { continue }
            let allocation = slices.map { AllocationSlice(node: $0.node.name, address: $0.node.address, slots: $0.slots) }
            let placed = allocation.map { "\($0.node)×\($0.slots)" }.joined(separator: " ")
            // The transition (and the attempt row) commits before anything is launched.
            let from = job.state, to: JobState = job.state == .pending ? .scheduled : .running
            let (attempt, number) = try store.transition(job.id, from: from, to: to, detail: "allocated \(placed)",
                                                         startingAttempt: allocation, dir: jobDir(job.id))
            let dir = Store.attemptDir(jobDir(job.id), number: number)
            active[job.id] = Active(job: job.id, attempt: attempt, dir: dir, allocation: allocation, wrapperPid: nil, isChild: true)
            do {
                guard let spec = try store.spec(of: job.id) else { throw StoreError(message: "job \(job.id) has no spec") }
                let pid = try Launcher.launch(job: job.id, attempt: attempt, dir: dir, allocation: allocation, spec: spec,
                                              checkpointDir: checkpointDir(job), endpoint: endpoint, config: config)
                active[job.id]?.wrapperPid = pid
                try store.setAttemptPid(attempt, pid: Int(pid))
                if to == .scheduled { try store.transition(job.id, from: .scheduled, to: .running, reason: nil, detail: "launched pid \(pid)") }
            } catch {
                active[job.id] = nil
                try store.failLaunch(attempt: attempt, reason: "\(error)")
                try store.transition(job.id, from: to, to: .failed, reason: "launch failed: \(error)")
            }
        }
    }

    /// Reaps wrappers, finishes attempts whose exit code is written, escalates kills.
    func monitorAttempts() throws {
        for (jobID, a) in active {
            // Our own child: waitpid says whether it runs (and reaps it). A re-attached wrapper is
            // not our child: look for it in /proc (its environment names the attempt). The /proc
            // check must not be used on a fresh child: before exec it still shows our environment.
            var alive = true
            if let pid = a.wrapperPid {
                if a.isChild {
                    var status: Int32 = 0
                    let r = waitpid(pid, &status, WNOHANG)
                    alive = r == 0
                } else {
                    alive = Launcher.isAttemptProcess(Int(pid), attempt: a.attempt)
                }
            }
            if let code = Launcher.exitCode(dir: a.dir) {
                try finish(jobID, a, exitCode: code)
            } else if !alive {
                // Re-read: the wrapper may have written its status and exited since the first look.
                try finish(jobID, a, exitCode: Launcher.exitCode(dir: a.dir))  // nil: gone without a status, lost
            } else if let deadline = a.killDeadline, Date() > deadline, !a.hardKilled {
                if let m = Launcher.mpirunPid(dir: a.dir) { kill(m, SIGKILL) }
                active[jobID]?.hardKilled = true
            }
        }
    }

    /// Ends an attempt: cancel wins, exit 0 succeeds, a resize restarts at once, anything else
    /// restarts after a back-off while faults stay within max_restarts.
    func finish(_ jobID: Int64, _ a: Active, exitCode: Int?) throws {
        active[jobID] = nil
        guard let job = try store.job(jobID) else { return }
        let outcome: AttemptOutcome
        let next: JobState
        var reason: String?
        let mpirunSaid = exitCode != 0 ? Launcher.failureSummary(dir: a.dir) : nil
        let exitText = (exitCode.map { "exit code \($0)" } ?? "no exit status") + (mpirunSaid.map { ": " + $0 } ?? "")
        if job.cancelRequested {
            (outcome, next, reason) = (.cancelled, .cancelled, "cancelled by request")
        } else if exitCode == 0 && a.fault == nil && a.resizeTo == nil {
            (outcome, next) = (.succeeded, .succeeded)
        } else if let size = a.resizeTo {
            (outcome, next, reason) = (.resized, .restarting, "growing from \(a.ranks) to \(size) ranks")
            jobs[jobID]?.notBefore = nil
        } else if a.fault == nil, let refused = Launcher.configError(dir: a.dir, exitCode: exitCode, mpirunSaid: mpirunSaid) {
            (outcome, next, reason) = (.configError, .failed, refused)  // the same spec would fail again: no restart
        } else {
            let why = a.fault ?? (exitCode != nil ? "mpirun \(exitText)" : "attempt lost (no exit status)")
            let faults = try store.faultCount(job: jobID) + 1
            if faults <= job.maxRestarts {
                let delay = backoff(jobID, a)
                jobs[jobID, default: JobLoop()].notBefore = Date().addingTimeInterval(delay)
                (outcome, next, reason) = (.failed, .restarting, String(format: "%@; restart %d of %d in %.1f s", why, faults, job.maxRestarts, delay))
            } else {
                (outcome, next, reason) = (.failed, .failed, job.maxRestarts > 0 ? "\(why) (after \(job.maxRestarts) restart\(job.maxRestarts == 1 ? "" : "s"))" : why)
            }
        }
        var from = job.state
        if from == .scheduled {  // launched, but the coordinator died before recording RUNNING
            try store.transition(jobID, from: .scheduled, to: .running, reason: nil, detail: "re-attached")
            from = .running
        }
        // A fault the coordinator saw first (a silent rank, a lost node) also quotes what mpirun said.
        let attemptReason = a.fault.map { $0 + (mpirunSaid.map { "; mpirun: " + $0 } ?? "") } ?? (a.resizeTo != nil ? reason : (outcome == .succeeded ? nil : exitText))
        try store.transition(jobID, from: from, to: next, reason: reason, detail: "\(outcome.rawValue), \(exitText)",
                             ending: a.attempt, exitCode: exitCode, outcome: outcome, attemptReason: attemptReason)
        if next.isTerminal { forget(jobID) }
    }

    /// Ends a healthy attempt for a fault: records why, and kills its ranks at once (a fault's ranks
    /// need no grace; the restart resumes from the last committed checkpoint).
    func fault(_ job: Int64, _ why: String) {
        guard active[job]?.healthy == true else { return }
        active[job]?.fault = why
        try? store.event(job: job, kind: "fault", detail: why)
        log("job \(job): \(why)")
        terminate(job: job, hard: true)
    }

    /// Sends SIGTERM to the attempt's mpirun, asks agents to kill local ranks, arms SIGKILL. `hard`
    /// (a fault or a resize): agents SIGKILL every local rank of the job at once (a stopped rank
    /// too), and mpirun gets one second instead of the kill grace.
    func terminate(job: Int64, hard: Bool = false) {
        guard let a = active[job] else { return }
        if let m = Launcher.mpirunPid(dir: a.dir) { kill(m, SIGTERM) }
        active[job]?.killDeadline = Date().addingTimeInterval(hard ? 1 : Double(config.killGraceMs) / 1000)
        var first = 0
        for slice in a.allocation {
            let ranks = Array(first ..< first + slice.slots)
            first += slice.slots
            guard let n = nodes[slice.node] else { continue }
            let k = Kill(job: "\(job)", ranks: hard ? [] : ranks, signal: hard ? .kill : .term, graceMs: hard ? nil : config.killGraceMs)
            send(k.message, to: n.routingID)
        }
    }

    /// After a restart: re-attach to attempts whose wrapper still runs, finish those that ended
    /// while we were down, requeue or fail those that vanished.
    func recover() throws {
        for att in try store.openAttempts() {
            guard let job = try store.job(att.jobID) else { continue }
            let a = Active(job: job.id, attempt: att.id, dir: att.dir, allocation: att.allocation,
                           wrapperPid: att.pid.map { pid_t($0) }, isChild: false)
            if let code = Launcher.exitCode(dir: att.dir) {
                try finish(job.id, a, exitCode: code)
            } else if let pid = att.pid, Launcher.isAttemptProcess(pid, attempt: att.id) {
                active[job.id] = a
                try store.event(job: job.id, kind: "re-attached", detail: "attempt \(att.number) wrapper pid \(pid)")
                if job.state == .scheduled { try store.transition(job.id, from: .scheduled, to: .running, reason: nil, detail: "re-attached") }
            } else if job.state == .scheduled {
                try store.transition(job.id, from: .scheduled, to: .pending, reason: nil, detail: "requeued: never launched before the coordinator stopped",
                                     ending: att.id, exitCode: nil, outcome: .lost)
            } else {
                try finish(job.id, a, exitCode: nil)
            }
        }
    }
}
