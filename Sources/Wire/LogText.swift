// Implements: LogText, a rank log's progress-bar redraws ("\r" ESC[2K text, rewritten in place)
// shaped for whoever reads the log: prefixed with the rank for a merged view, or flattened to
// plain whole lines for a pipe or file. Works on Unicode scalars: Swift's Characters would
// join "\r\n" into one.

public enum LogText {
    static let erase = Array("\u{1B}[2K".unicodeScalars)

    /// `chunk` with `prefix` at the start of every line and of every redraw (after "\r" and its
    /// erase), so a relayed bar keeps its rank. A chunk starts at a line or a redraw.
    public static func prefixed(_ chunk: String, _ prefix: String) -> String {
        let u = Array(chunk.unicodeScalars), p = Array(prefix.unicodeScalars)
        var out = String.UnicodeScalarView(), lineStart = true, i = 0
        while i < u.count {
            let c = u[i]
            if c == "\r" {
                out.append(c); i += 1
                if u[i...].starts(with: erase) { out.append(contentsOf: erase); i += erase.count }
                lineStart = false
                if i < u.count, u[i] != "\n" { out.append(contentsOf: p) }
                continue
            }
            if lineStart { out.append(contentsOf: p); lineStart = false }
            out.append(c); i += 1
            if c == "\n" { lineStart = true }
        }
        return String(out)
    }

    /// `text` as a pipe wants it: each line as its last redraw left it, without "\r" or erase, and
    /// a trailing redraw that no newline has ended yet dropped (its line comes with a later chunk).
    public static func plain(_ text: String) -> String {
        var lines = Array(text.unicodeScalars).split(separator: "\n", omittingEmptySubsequences: false)
        let tail = lines.removeLast()
        var out = String.UnicodeScalarView()
        for line in lines { out.append(contentsOf: final(line)); out.append("\n") }
        if !tail.contains("\r") { out.append(contentsOf: tail) }
        return String(out)
    }

    /// The redraw `text` ends in, without "\r" and erase, when its last line is a redraw that no
    /// newline has ended yet (a progress bar still moving); nil otherwise.
    public static func pendingRedraw(_ text: String) -> String? {
        let tail = Array(text.unicodeScalars).split(separator: "\n", omittingEmptySubsequences: false).last ?? []
        guard tail.contains("\r") else { return nil }
        let last = String(String.UnicodeScalarView(final(tail)))
        return last.isEmpty ? nil : last
    }

    /// Every line of `text` as its last redraw left it, an unended last line included.
    public static func lines(_ text: String) -> [String] {
        Array(text.unicodeScalars).split(separator: "\n").map { String(String.UnicodeScalarView(final($0))) }.filter { !$0.isEmpty }
    }

    /// What is left of a line once every redraw has been drawn (a "\r" just before the newline
    /// is a CRLF ending, not a redraw).
    static func final(_ line: ArraySlice<Unicode.Scalar>) -> ArraySlice<Unicode.Scalar> {
        var line = line
        if line.last == "\r" { line = line.dropLast() }
        var last = line.split(separator: "\r", omittingEmptySubsequences: false).last ?? line
        if last.starts(with: erase) { last = last.dropFirst(erase.count) }
        return last
    }
}
