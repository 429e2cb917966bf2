// Implements: TerminalText, what makes text from the network safe to print: job names, reasons,
// node names and log lines may hold escape sequences or control characters that would move the
// cursor, retitle the window or hide lines of a terminal that prints them raw.

public enum TerminalText {
    /// One-line text (a name, a reason): every control or format character (C0, DEL, C1, bidi
    /// overrides, zero-width marks) becomes "\u{XX}" written out, so the value stays visible.
    public static func line(_ s: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(s.unicodeScalars.count)
        for u in s.unicodeScalars {
            if isUnsafe(u) { out += "\\u{" + String(u.value, radix: 16) + "}" } else { out.unicodeScalars.append(u) }
        }
        return out
    }

    /// Log text: keeps newline, tab, carriage return and the one escape the trainer's progress bar
    /// writes (ESC [ 2 K, erase line); drops every other control character.
    public static func logs(_ s: String) -> String {
        var out = String.UnicodeScalarView()
        let u = Array(s.unicodeScalars)
        var i = 0
        while i < u.count {
            let c = u[i]
            if c == "\u{1B}", i + 3 < u.count, u[i + 1] == "[", u[i + 2] == "2", u[i + 3] == "K" {
                out.append(contentsOf: u[i ... i + 3]); i += 4; continue
            }
            if c == "\n" || c == "\t" || c == "\r" || !isUnsafe(c) { out.append(c) }
            i += 1
        }
        return String(out)
    }

    /// Whether `s` has no control or format character (what a job name must be).
    public static func isPrintable(_ s: String) -> Bool { !s.unicodeScalars.contains(where: isUnsafe) }

    static func isUnsafe(_ u: Unicode.Scalar) -> Bool {
        switch u.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .privateUse, .unassigned: return true
        default: return false
        }
    }
}
