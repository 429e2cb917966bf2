// Tests: Scheduler placement (packing, best fit) and queue order (priority, then FIFO; no backfill).
import Coordinator
import XCTest

final class SchedulerTests: XCTestCase {
    let a = Scheduler.Node(name: "a", address: "127.0.0.1", free: 3, total: 4)
    let b = Scheduler.Node(name: "b", address: "127.0.0.2", free: 2, total: 4)

    func testPacksOntoOneNodeWhenItFits() {
        let p = Scheduler.place(ranks: 2, on: [a, b])!
        XCTAssertEqual(p.map(\.node.name), ["b"])  // best fit: the fuller node that still fits
        XCTAssertEqual(Scheduler.place(ranks: 3, on: [a, b])!.map(\.node.name), ["a"])
    }

    func testSpansFewestNodes() {
        let p = Scheduler.place(ranks: 5, on: [a, b])!
        XCTAssertEqual(p.map(\.node.name), ["a", "b"])
        XCTAssertEqual(p.map(\.slots), [3, 2])
        XCTAssertNil(Scheduler.place(ranks: 6, on: [a, b]))
    }

    func testPriorityThenFIFOWithoutBackfill() {
        let q: [Scheduler.Queued] = [.init(id: 1, ranks: 1, priority: 0), .init(id: 2, ranks: 4, priority: 5),
                                     .init(id: 3, ranks: 1, priority: 5), .init(id: 4, ranks: 1, priority: 0)]
        XCTAssertEqual(Scheduler.order(q).map(\.id), [2, 3, 1, 4])
        // 5 free: job 2 (4) runs, job 3 (1) runs, job 1 must wait (no slots), 4 waits behind it.
        XCTAssertEqual(Scheduler.plan(queue: q, nodes: [a, b]).map(\.job.id), [2, 3])
        // Head does not fit: nothing behind it jumps ahead.
        XCTAssertEqual(Scheduler.plan(queue: q, nodes: [b]).map(\.job.id), [])
    }

    func testJobLargerThanClusterDoesNotBlock() {
        let q: [Scheduler.Queued] = [.init(id: 1, ranks: 99, priority: 9), .init(id: 2, ranks: 1, priority: 0)]
        XCTAssertEqual(Scheduler.plan(queue: q, nodes: [a, b]).map(\.job.id), [2])
    }

    func testAnElasticRestartTakesTheLargestSizeThatFits() {
        let q: [Scheduler.Queued] = [.init(id: 1, ranks: 6, priority: 0, sizes: [6, 4, 3, 2])]
        let nodes = [Scheduler.Node(name: "a", address: "1", free: 2, total: 2), Scheduler.Node(name: "b", address: "2", free: 3, total: 3)]
        let plan = Scheduler.plan(queue: q, nodes: nodes)
        XCTAssertEqual(plan.first?.slices.reduce(0) { $0 + $1.slots }, 4)  // 5 free, but 5 does not split the batch
        XCTAssertTrue(Scheduler.plan(queue: [.init(id: 1, ranks: 6, priority: 0, sizes: [6])], nodes: nodes).isEmpty)
    }
}

