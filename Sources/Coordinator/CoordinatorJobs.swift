// Implements: the job life cycle on the coordinator's thread: scheduling queued jobs onto free
// slots and launching them, watching attempts end (exit code, cancel, restart policy),
// terminating attempts, and re-attaching to attempts after a coordinator crash.
import Foundation
import GRDB
import Wire

extension Coordinator {
    func jobDir(_ id: Int64) -> String { "\(config.stateDir)/jobs/\(id)" }

    /// Launches queued jobs in Scheduler order while they fit.
    func schedule() throws {
        let queued = try store.jobs(in: [.pending, .restarting]).filter { active[$0.id] == nil }
        guard !queued.isEmpty else { return }
        let plan = Scheduler.plan(queue: queued.map { .init(id: $0.id, ranks: $0.ranks, priority: $0.priority) }, nodes: schedulerNodes())
        for (q, slices) in plan {
            guard let job = queued.first(where: { $0.id == q.id }) else { continue }
            let allocation = slices.map { AllocationSlice(node: $0.node.name, address: $0.node.address, slots: $0.slots) }
            let placed = allocation.map { "\($0.node)×\($0.slots)" }.joined(separator: " ")
            // The transition (and the attempt row) commits before anything is launched.
            let from = job.state, to: JobState = job.state == .pending ? .scheduled : .running
            let (attempt, number) = try store.transition(job.id, from: from, to: to, reason: nil, detail: "allocated \(placed)") {
                try Store.insertAttempt($0, job: job.id, allocation: allocation, dir: jobDir(job.id))
            }
            let dir = jobDir(job.id) + "/attempt-\(number)"
            active[job.id] = Active(job: job.id, attempt: attempt, dir: dir, allocation: allocation, wrapperPid: nil, isChild: true)
            do {
                let pid = try Launcher.launch(job: job.id, attempt: attempt, dir: dir, allocation: allocation, spec: job.spec,
                                              endpoint: endpoint, config: config)
                active[job.id]?.wrapperPid = pid
                try store.setAttemptPid(attempt, pid: Int(pid))
                if to == .scheduled { try store.transition(job.id, from: .scheduled, to: .running, reason: nil, detail: "launched pid \(pid)") }
            } catch {
                active[job.id] = nil
                try store.db.write { try Store.finishAttempt($0, attempt, exitCode: nil, outcome: "launch-failed") }
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

    /// Ends an attempt: cancel wins, exit 0 succeeds, anything else restarts while allowed.
    func finish(_ jobID: Int64, _ a: Active, exitCode: Int?) throws {
        active[jobID] = nil
        guard let job = try store.job(jobID) else { return }
        let outcome: String
        let next: JobState
        var reason: String?
        if job.cancelRequested {
            (outcome, next, reason) = ("cancelled", .cancelled, "cancelled by request")
        } else if exitCode == 0 && a.fault == nil {
            (outcome, next) = ("succeeded", .succeeded)
        } else {
            let why = a.fault ?? (exitCode.map { "exit code \($0)" } ?? "attempt lost (no exit status)")
            if job.attempts <= job.maxRestarts {
                (outcome, next, reason) = ("failed", .restarting, "restarting after \(why) (attempt \(job.attempts) of \(job.maxRestarts + 1))")
            } else {
                (outcome, next, reason) = ("failed", .failed, why)
            }
        }
        var from = job.state
        if from == .scheduled {  // launched, but the coordinator died before recording RUNNING
            try store.transition(jobID, from: .scheduled, to: .running, reason: nil, detail: "re-attached")
            from = .running
        }
        try store.transition(jobID, from: from, to: next, reason: reason, detail: "\(outcome), exit \(exitCode.map(String.init) ?? "unknown")") {
            try Store.finishAttempt($0, a.attempt, exitCode: exitCode, outcome: outcome)
        }
    }

    /// Sends SIGTERM to the attempt's mpirun, asks agents to kill local ranks, arms SIGKILL.
    func terminate(job: Int64) {
        guard let a = active[job] else { return }
        if let m = Launcher.mpirunPid(dir: a.dir) { kill(m, SIGTERM) }
        active[job]?.killDeadline = Date().addingTimeInterval(Double(config.killGraceMs) / 1000)
        var first = 0
        for slice in a.allocation {
            let ranks = Array(first ..< first + slice.slots)
            first += slice.slots
            guard let n = nodes[slice.node] else { continue }
            var m = Message(.kill)
            m.job = "\(job)"; m.ranks = ranks
            send(m, to: n.routingID)
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
                try store.transition(job.id, from: .scheduled, to: .pending, reason: nil, detail: "requeued: never launched before the coordinator stopped") {
                    try Store.finishAttempt($0, att.id, exitCode: nil, outcome: "lost")
                }
            } else {
                try finish(job.id, a, exitCode: nil)
            }
        }
    }
}
