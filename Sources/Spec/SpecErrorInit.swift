// Implements: a public initializer of SpecError, so the coordinator's own checks of a spec (name,
// ranks, priority) report in the same form as JobSpec's.

extension SpecError {
    public init(source: String, problem: String) { self.init(source: source, message: problem) }
}
