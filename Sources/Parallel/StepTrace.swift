// Implements: StepTrace, timestamps of a rank's gradient buckets for profiling overlap
// (COHORT_TRACE=1): one stderr line "trace PID EVENT BUCKET NS" when a bucket is ready in
// backward, when its reduction starts and ends on the comm thread, and when the step starts and
// stops waiting for it. NS is the machine's monotonic clock, which the namespace nodes of one
// machine share, so the ranks' lines sort into one timeline.
import Foundation

enum StepTrace {
    static let on = ProcessInfo.processInfo.environment["COHORT_TRACE"] == "1"
    private static let pid = ProcessInfo.processInfo.processIdentifier

    /// Writes one line when tracing is on; costs one branch when it is off.
    static func mark(_ event: StaticString, _ bucket: Int) {
        guard on else { return }
        let ns = DispatchTime.now().uptimeNanoseconds
        FileHandle.standardError.write(Data("trace \(pid) \(event) \(bucket) \(ns)\n".utf8))
    }
}
