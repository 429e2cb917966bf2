// Implements: Suggestion, the "did you mean" of mistyped names (spec keys, subcommands): the
// candidates within a small edit distance of what was typed, nearest first.
public enum Suggestion {
    /// Candidates at most max(1, count/3) edits (Damerau–Levenshtein: insert, delete, substitute,
    /// swap two neighbours) from `typed`, case-insensitively; the nearest ones only.
    public static func nearest(_ typed: String, in candidates: [String]) -> [String] {
        let t = Array(typed.lowercased()), limit = max(1, t.count / 3)
        let scored = candidates.map { ($0, distance(t, Array($0.lowercased()))) }.filter { $0.1 <= limit }
        guard let best = scored.map(\.1).min() else { return [] }
        return scored.filter { $0.1 == best }.map(\.0).sorted()
    }

    static func distance(_ a: [Character], _ b: [Character]) -> Int {
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0 ... a.count { d[i][0] = i }
        for j in 0 ... b.count { d[0][j] = j }
        for i in 1 ... a.count {
            for j in 1 ... b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
