// Implements: HintedError, a CLI failure that carries its own fix: Main prints its description
// as the `error:` line and its hint as the `hint:` line.

struct HintedError: Error, CustomStringConvertible {
    let description: String
    let hint: String
}
