// Implements: the records that replies carry (job, node, allocation, progress), shared by the
// coordinator, the CLI and tests. Field names on the wire are snake_case (docs/protocol.md).

/// Slots of one node given to one job.
public struct AllocationSlice: Codable, Sendable, Equatable {
    public var node: String
    public var address: String
    public var slots: Int
    public init(node: String, address: String, slots: Int) { self.node = node; self.address = address; self.slots = slots }

    private enum CodingKeys: String, CodingKey { case node, address, slots }
}

/// One progress report of a trainer (rank 0 by convention).
public struct ProgressPoint: Codable, Sendable, Equatable {
    public var step: Int
    public var loss: Double
    public var samplesPerS: Double
    /// Seconds since the Unix epoch, coordinator clock.
    public var at: Double
    public init(step: Int, loss: Double, samplesPerS: Double, at: Double) {
        self.step = step; self.loss = loss; self.samplesPerS = samplesPerS; self.at = at
    }

    private enum CodingKeys: String, CodingKey { case step, loss, samplesPerS = "samples_per_s", at }
}

/// One evaluation of a trainer: `metric` (e.g. val_loss, test_accuracy) was `value` at `step`.
public struct Evaluation: Codable, Sendable, Equatable {
    public var metric: String
    public var value: Double
    public var step: Int
    public init(metric: String, value: Double, step: Int) { self.metric = metric; self.value = value; self.step = step }

    private enum CodingKeys: String, CodingKey { case metric, value, step }
}

/// What `status` and `list` say about a job.
public struct JobInfo: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var state: JobState
    public var ranks: Int
    public var priority: Int
    /// Why it waits (PENDING) or how it ended (terminal states).
    public var reason: String?
    public var submittedAt: Double
    public var startedAt: Double?
    public var finishedAt: Double?
    public var exitCode: Int?
    public var attempts: Int
    public var allocation: [AllocationSlice]
    public var progress: ProgressPoint?
    public var lastCheckpointStep: Int?
    /// That checkpoint's directory (`status` only).
    public var lastCheckpointPath: String?
    /// Steps the job runs in all, where its spec says (`status` only).
    public var totalSteps: Int?
    /// While it runs: seconds left at the latest reported throughput (`status` only).
    public var etaSeconds: Double?
    /// The latest evaluation its trainers reported.
    public var evaluation: Evaluation?
    /// Every attempt, oldest first: how many ranks ran where, and why it ended (`status` only).
    public var history: [AttemptInfo]?

    public init(id: String, name: String, state: JobState, ranks: Int, priority: Int, reason: String?, submittedAt: Double,
                startedAt: Double?, finishedAt: Double?, exitCode: Int?, attempts: Int, allocation: [AllocationSlice],
                progress: ProgressPoint?, lastCheckpointStep: Int?, evaluation: Evaluation? = nil, history: [AttemptInfo]? = nil) {
        self.history = history; self.evaluation = evaluation
        self.id = id; self.name = name; self.state = state; self.ranks = ranks; self.priority = priority
        self.reason = reason; self.submittedAt = submittedAt; self.startedAt = startedAt; self.finishedAt = finishedAt
        self.exitCode = exitCode; self.attempts = attempts; self.allocation = allocation; self.progress = progress
        self.lastCheckpointStep = lastCheckpointStep
    }

    private enum CodingKeys: String, CodingKey { case id, name, state, ranks, priority, reason, submittedAt = "submitted_at", startedAt = "started_at", finishedAt = "finished_at", exitCode = "exit_code", attempts, allocation, progress, lastCheckpointStep = "last_checkpoint_step", lastCheckpointPath = "last_checkpoint_path", totalSteps = "total_steps", etaSeconds = "eta_seconds", evaluation, history }
}

/// One attempt of a job: an mpirun launch, from its start to its end.
public struct AttemptInfo: Codable, Sendable, Equatable {
    public var number: Int
    public var ranks: Int
    public var allocation: [AllocationSlice]
    public var startedAt: Double
    public var finishedAt: Double?
    public var exitCode: Int?
    /// succeeded, failed, resized, cancelled, lost, launch-failed; nil while it runs.
    public var outcome: AttemptOutcome?
    /// Why it ended, e.g. "rank 1 sent no heartbeat for 3.0 s (hung or dead)".
    public var reason: String?
    /// The step its trainers started at (a resumed checkpoint's step; 0 for a fresh start).
    public var startStep: Int?
    public init(number: Int, ranks: Int, allocation: [AllocationSlice], startedAt: Double, finishedAt: Double?, exitCode: Int?,
                outcome: AttemptOutcome?, reason: String?, startStep: Int?) {
        self.number = number; self.ranks = ranks; self.allocation = allocation; self.startedAt = startedAt
        self.finishedAt = finishedAt; self.exitCode = exitCode; self.outcome = outcome; self.reason = reason; self.startStep = startStep
    }

    private enum CodingKeys: String, CodingKey { case number, ranks, allocation, startedAt = "started_at", finishedAt = "finished_at", exitCode = "exit_code", outcome, reason, startStep = "start_step" }
}

/// What `nodes` says about an agent's node.
public struct NodeInfo: Codable, Sendable, Equatable {
    public var name: String
    public var host: String
    public var address: String
    public var slots: Int
    public var used: Int
    public var live: Bool
    public var lastSeen: Double
    public init(name: String, host: String, address: String, slots: Int, used: Int, live: Bool, lastSeen: Double) {
        self.name = name; self.host = host; self.address = address; self.slots = slots; self.used = used
        self.live = live; self.lastSeen = lastSeen
    }

    private enum CodingKeys: String, CodingKey { case name, host, address, slots, used, live, lastSeen = "last_seen" }
}

/// A rank process an agent sees on its node.
public struct RankProcess: Codable, Sendable, Equatable, Hashable {
    public var job: String
    public var rank: Int
    public var pid: Int
    public init(job: String, rank: Int, pid: Int) { self.job = job; self.rank = rank; self.pid = pid }

    private enum CodingKeys: String, CodingKey { case job, rank, pid }
}
