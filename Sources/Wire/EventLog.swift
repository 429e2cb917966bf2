// Implements: EventLog, the daemons' event lines on stderr: one leveled, UTC-timestamped line per
// event (`2026-12-02T00:01:02.123Z info  submit job=3 name=mnist`). A logger of its own rather than
// swift-log: the daemons need one sink and one format, not a logging backend API and its build cost.
// Every field value passes TerminalText.line, since names and reasons come from the network.
import Foundation

public enum EventLog {
    public enum Level: Int, Comparable, Sendable {
        case debug, info, warn, error
        public static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }
        var label: String { switch self { case .debug: "debug"; case .info: "info "; case .warn: "warn "; case .error: "error" } }
    }

    /// The level COHORT_LOG_LEVEL=debug|info|warn|error names, nil if unset or unknown.
    public static let environmentLevel: Level? = {
        switch ProcessInfo.processInfo.environment["COHORT_LOG_LEVEL"]?.lowercased() {
        case "debug": .debug
        case "info": .info
        case "warn", "warning": .warn
        case "error": .error
        default: nil
        }
    }()

    private static let lock = NSLock()
    private static var _threshold = environmentLevel ?? .info

    /// Lines below this level are dropped (default: COHORT_LOG_LEVEL, else info).
    public static var threshold: Level {
        get { lock.lock(); defer { lock.unlock() }; return _threshold }
        set { lock.lock(); _threshold = newValue; lock.unlock() }
    }

    /// `event` is one word (submit, launch, fault, …); `fields` are printed as key=value in order,
    /// a value holding a space quoted.
    public static func log(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, String?> = [:]) {
        guard level >= threshold else { return }
        let line = format(level, event, fields, at: Date())
        lock.lock(); defer { lock.unlock() }
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// The line `log` writes, newline included.
    public static func format(_ level: Level, _ event: String, _ fields: KeyValuePairs<String, String?>, at date: Date) -> String {
        var line = timestamp(date) + " " + level.label + " " + TerminalText.line(event)
        for (k, v) in fields { if let v { line += " \(k)=" + quoted(TerminalText.line(v)) } }
        return line + "\n"
    }

    static func quoted(_ v: String) -> String {
        v.isEmpty || v.contains(" ") || v.contains("\"") ? "\"" + v.replacingOccurrences(of: "\"", with: "\\\"") + "\"" : v
    }

    /// ISO 8601 in UTC with milliseconds, formatted by hand (DateFormatter is slow and not thread-safe to share).
    public static func timestamp(_ d: Date) -> String {
        // Whole milliseconds, rounded to nearest: .123 is stored as .12299…, which truncation would print as .122.
        let total = Int64((d.timeIntervalSince1970 * 1000).rounded())
        var t = time_t(total / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        let ms = Int(total % 1000)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1, Int(tm.tm_mday),
                      Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), ms)
    }
}
