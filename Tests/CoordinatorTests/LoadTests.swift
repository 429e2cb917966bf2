// Tests: 10,000 status requests from 4 concurrent clients all get answers; prints the p50/p99
// latency. The bound on p99 (100 ms) is asserted with COHORT_STRICT_TIMING=1 only: on a machine
// shared with builds a scheduler hiccup is not a coordinator defect.
import Coordinator
import Foundation
import Wire
import XCTest

final class LoadTests: XCTestCase {
    func testTenThousandStatusRequestsFromFourClients() throws {
        let cluster = try TestCluster(name: "load")
        defer { cluster.shutdown() }
        let setup = try cluster.start()
        let job = try setup.submit(spec: cluster.spec("load", ranks: 1))
        _ = try setup.wait(job.id, timeout: 20)
        let perClient = 2500
        var latencies = [[Double]](repeating: [], count: 4)
        var failures = [Int](repeating: 0, count: 4)
        let lock = NSLock()
        let start = Date()
        DispatchQueue.concurrentPerform(iterations: 4) { c in
            let client = CoordinatorClient(endpoint: cluster.endpoint)
            var mine: [Double] = [], failed = 0
            mine.reserveCapacity(perClient)
            for _ in 0 ..< perClient {
                let t0 = DispatchTime.now().uptimeNanoseconds
                if (try? client.status(job.id)) == nil { failed += 1 }
                mine.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
            }
            lock.lock(); latencies[c] = mine; failures[c] = failed; lock.unlock()
        }
        let wall = Date().timeIntervalSince(start)
        let all = latencies.flatMap { $0 }.sorted()
        let p50 = all[all.count / 2], p99 = all[all.count * 99 / 100]
        print(String(format: "load: %d status requests from 4 clients in %.2f s (%.0f req/s); p50 %.3f ms, p99 %.3f ms, max %.3f ms",
                     all.count, wall, Double(all.count) / wall, p50, p99, all.last!))
        XCTAssertEqual(all.count, 10_000)
        XCTAssertEqual(failures.reduce(0, +), 0)
        if ProcessInfo.processInfo.environment["COHORT_STRICT_TIMING"] == "1" { XCTAssertLessThan(p99, 100, "p99 latency \(p99) ms") }
    }
}
