// Implements: BucketTickets, the comm thread's ticket of each bucket's reduction queued this
// step, so that the step waits for exactly the bucket it is about to use.

struct BucketTickets {
    private var tickets: [Int?]

    init(buckets: Int) { tickets = [Int?](repeating: nil, count: buckets) }

    /// Bucket b's latest reduction is the queued item `ticket`.
    mutating func set(_ b: Int, _ ticket: Int) { tickets[b] = ticket }

    /// The ticket of bucket b's latest reduction, if one is pending.
    func pending(_ b: Int) -> Int? { tickets[b] }

    /// Waits for bucket b's reduction, if one is queued, and forgets it.
    mutating func wait(_ b: Int, on queue: ReductionQueue) {
        guard let ticket = tickets[b] else { return }
        queue.wait(for: ticket)
        tickets[b] = nil
    }

    /// Forgets every ticket (the step's end; the caller drains the queue).
    mutating func clear() { for b in tickets.indices { tickets[b] = nil } }
}
