// Implements: the coordinator's event lines: every row the Store adds to `events` is also one
// EventLog line on stderr, named by what happened (submit, schedule, launch, restart, finish,
// cancel, fault, resize, node-joined, node-lost, …), so the log and `cohort status` history agree.
import Wire

extension Store {
    /// The line for a `transition` row: the verb is the state the job moved to.
    static func logTransition(job: Int64, from: JobState, to: JobState, detail: String?) {
        let verb: String
        switch to {
        case .scheduled: verb = "schedule"
        case .running: verb = from == .restarting ? "relaunch" : "launch"
        case .restarting: verb = "restart"
        case .pending: verb = "requeue"
        case .succeeded, .failed, .cancelled: verb = "finish"
        }
        EventLog.log(to == .failed ? .warn : .info, verb, ["job": String(job), "from": from.rawValue, "to": to.rawValue, "detail": detail])
    }

    /// The line for any other row, by its kind.
    static func logEvent(kind: String, job: Int64?, detail: String?) {
        let verb: String
        switch kind {
        case "submitted": verb = "submit"
        case "node-registered": verb = "node-joined"
        case "cancel-requested": verb = "cancel"
        default: verb = kind
        }
        let level: EventLog.Level = ["fault", "node-lost", "auth-refused"].contains(kind) ? .warn : .info
        EventLog.log(level, verb, ["job": job.map { String($0) }, "detail": detail])
    }
}
