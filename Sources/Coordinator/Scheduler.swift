// Implements: Scheduler, the pure placement rule: jobs in (priority desc, submission asc) order;
// the head job runs when enough free slots exist on live nodes (an elastic restart: for the largest
// of its allowed sizes that fits), and later jobs wait behind it
// (no backfill, so FIFO-within-priority holds). A job larger than the whole live cluster is
// skipped, not allowed to block the queue. Ranks are packed onto as few nodes as possible.

public enum Scheduler {
    public struct Node: Equatable {
        public var name: String
        public var address: String
        public var free: Int
        public var total: Int
        public init(name: String, address: String, free: Int, total: Int) {
            self.name = name; self.address = address; self.free = free; self.total = total
        }
    }

    /// Places `ranks` on `nodes`, or nil if the free slots do not suffice.
    /// One node that fits alone is preferred (the fullest such node, best fit); otherwise nodes
    /// are taken largest-free first. Returned slices list ranks in order: 0… on the first slice.
    public static func place(ranks: Int, on nodes: [Node]) -> [(node: Node, slots: Int)]? {
        let candidates = nodes.filter { $0.free > 0 }
        guard candidates.reduce(0, { $0 + $1.free }) >= ranks else { return nil }
        if let single = candidates.filter({ $0.free >= ranks }).min(by: { ($0.free, $0.name) < ($1.free, $1.name) }) {
            return [(single, ranks)]
        }
        var left = ranks
        var out: [(node: Node, slots: Int)] = []
        for n in candidates.sorted(by: { ($0.free, $1.name) > ($1.free, $0.name) }) where left > 0 {
            let take = min(n.free, left)
            out.append((n, take))
            left -= take
        }
        return out
    }

    /// One queued job as the scheduler sees it.
    public struct Queued: Equatable {
        public var id: Int64
        public var ranks: Int
        public var priority: Int
        /// World sizes it may run at, largest first: [ranks], or for an elastic restart down to min_ranks.
        public var sizes: [Int]
        public init(id: Int64, ranks: Int, priority: Int, sizes: [Int]? = nil) {
            self.id = id; self.ranks = ranks; self.priority = priority; self.sizes = sizes ?? [ranks]
        }
    }

    /// Queue order: higher priority first, then earlier submission.
    public static func order(_ jobs: [Queued]) -> [Queued] {
        jobs.sorted { ($0.priority, -$0.id) > ($1.priority, -$1.id) }
    }

    /// The placements to make now, in order, given the queue and the nodes' free slots.
    public static func plan(queue: [Queued], nodes: [Node]) -> [(job: Queued, slices: [(node: Node, slots: Int)])] {
        var nodes = nodes
        let capacity = nodes.reduce(0) { $0 + $1.total }
        var out: [(job: Queued, slices: [(node: Node, slots: Int)])] = []
        for job in order(queue) {
            if (job.sizes.min() ?? job.ranks) > capacity { continue }  // waits for nodes; must not block the queue
            guard let slices = job.sizes.lazy.compactMap({ place(ranks: $0, on: nodes) }).first else { break }
            for s in slices { if let i = nodes.firstIndex(where: { $0.name == s.node.name }) { nodes[i].free -= s.slots } }
            out.append((job, slices))
        }
        return out
    }
}
