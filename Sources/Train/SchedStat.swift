// Implements: SchedStat, where a rank's wall time went, from Linux's /proc/.../schedstat: on a
// core, runnable but waiting for one (another process or this rank's own comm thread had it),
// or asleep (waiting for a peer, a lock, the comm thread). Wall-clock phases alone cannot tell a
// rank that waits for its peer from one whose core was taken; a loaded machine does the second,
// so these split a profile (COHORT_PROFILE=1) into what training costs and what the load cost.
import Foundation

/// Nanoseconds on a core and waiting for one, of this thread and of the whole process.
struct SchedStat {
    var threadRun: UInt64 = 0, threadWait: UInt64 = 0, processRun: UInt64 = 0, processWait: UInt64 = 0
    var wall: UInt64 = 0

    /// The counters now (zeros where /proc is missing).
    static func now() -> SchedStat {
        var s = SchedStat(wall: DispatchTime.now().uptimeNanoseconds)
        (s.threadRun, s.threadWait) = read("/proc/thread-self/schedstat")
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        for t in tasks {
            let (run, wait) = read("/proc/self/task/\(t)/schedstat")
            s.processRun += run; s.processWait += wait
        }
        return s
    }

    /// "run wait timeslices" of one task.
    private static func read(_ path: String) -> (UInt64, UInt64) {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return (0, 0) }
        let f = text.split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return f.count >= 2 ? (f[0], f[1]) : (0, 0)
    }

    /// Per step between `start` and `self`: the compute thread's on-core, waiting and asleep
    /// milliseconds, and the process's on-core milliseconds (every thread: the comm thread's too).
    func summary(since start: SchedStat, steps: Int) -> String {
        let n = Double(max(steps, 1)) * 1e6
        let run = Double(threadRun - start.threadRun) / n, wait = Double(threadWait - start.threadWait) / n
        let wall = Double(wall - start.wall) / n
        return String(format: "compute thread on a core %.2f ms, waiting for one %.2f ms, asleep %.2f ms; process on cores %.2f ms (waiting %.2f ms)",
                      run, wait, max(0, wall - run - wait), Double(processRun - start.processRun) / n,
                      Double(processWait - start.processWait) / n)
    }
}
