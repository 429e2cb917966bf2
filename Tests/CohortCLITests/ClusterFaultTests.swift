// Fault recovery end to end on 3 network-namespace nodes (launch/test-cluster.sh: CURVE, an agent in
// each node, the coordinator on the bridge): workload W loses a rank mid-epoch, then a node (its agent
// killed and its link cut), and still finishes on the remaining nodes with the parameters of a clean
// run resumed from the same checkpoint. `testSoak` repeats random faults COHORT_SOAK times
// (launch/soak.sh; not part of `make test`).
import Foundation
import XCTest

final class ClusterFaultTests: XCTestCase {
    func testRankDeathThenNodeLossOnThreeNamespaceNodes() throws {
        try NamespaceCluster.available()
        let cluster = try NamespaceCluster(name: "cft\(getpid() % 100_000)", nodes: 3)
        defer { cluster.down() }
        let steps = 70
        let text = ResumeCheck.spec(steps: steps, ranks: 3, minRanks: 2, restarts: 4, globalBatch: 768)
        let job = try cluster.submit(text)
        try cluster.waitUntil(seconds: 120, "step 15") { try cluster.step(job) >= 15 }
        try cluster.fault(["kill-rank", job, "1"])
        try cluster.waitUntil(seconds: 60, "attempt 2 running") {
            try cluster.history(job).contains { $0["number"] as? Int == 2 && $0["start_step"] != nil }
        }
        let second = try XCTUnwrap(cluster.history(job)[1]["start_step"] as? Int)
        try cluster.waitUntil(seconds: 120, "progress in attempt 2") { try cluster.step(job) >= second + 12 }
        try cluster.fault(["kill-agent", "3"])
        try cluster.fault(["cut", "3"])
        try cluster.waitUntil(seconds: 300, "the job to end") { ["SUCCEEDED", "FAILED"].contains(try cluster.state(job)) }
        XCTAssertEqual(try cluster.state(job), "SUCCEEDED", cluster.logs())
        let h = try cluster.history(job)
        XCTAssertEqual(h.map { $0["outcome"] as? String }, ["failed", "failed", "succeeded"], "\(h)\n\(cluster.failedAttemptLogs(job))")
        XCTAssertEqual(h.map { $0["ranks"] as? Int }, [3, 3, 2], "\(h)")
        // mpirun's exit or the first silent rank (here a survivor may crash in OpenMPI's TCP
        // transport when its peer dies, and go silent first): either names a rank.
        XCTAssertTrue((h[0]["reason"] as? String ?? "").contains("rank "), "\(h[0])")
        XCTAssertTrue((h[1]["reason"] as? String ?? "").contains("n3"), "\(h[1])")
        XCTAssertFalse((h[2]["allocation"] as? [[String: Any]] ?? []).contains { $0["node"] as? String == "n3" })
        XCTAssertLessThanOrEqual(try ResumeCheck.lastAttemptDifference(cluster, job: job, spec: text, steps: steps), 1e-6)
    }

    /// COHORT_SOAK=N: N jobs on a fresh 3-node cluster each, each hit by a random fault at a random
    /// step (a killed rank, a hung rank, a killed agent with its link cut); counts the jobs that
    /// finished with the parameters of a clean resume. Prints `soak: K of N jobs finished correctly`.
    func testSoak() throws {
        guard let n = ProcessInfo.processInfo.environment["COHORT_SOAK"].flatMap(Int.init), n > 0 else {
            throw XCTSkip("set COHORT_SOAK=N to run the soak (launch/soak.sh)")
        }
        try NamespaceCluster.available()
        var rng = SystemRandomNumberGenerator()
        var correct = 0
        let steps = 40
        for round in 1 ... n {
            let cluster = try NamespaceCluster(name: "sk\(getpid() % 1000)r\(round)", nodes: 3)
            defer { cluster.down() }
            let text = ResumeCheck.spec(steps: steps, ranks: 3, minRanks: 2, restarts: 4, globalBatch: 768)
            let job = try cluster.submit(text)
            let at = Int.random(in: 3 ... 30, using: &rng)
            let kind = ["kill-rank", "pause-rank", "node"].randomElement(using: &rng)!
            let rank = Int.random(in: 0 ... 2, using: &rng)
            var what = ""
            do {
                try cluster.waitUntil(seconds: 120, "step \(at)") {
                    let st = try cluster.status(job)
                    return st["state"] as? String == "RUNNING" && ((st["progress"] as? [String: Any])?["step"] as? Int ?? 0) >= at
                }
                switch kind {
                case "node":
                    let node = rank + 1
                    try cluster.fault(["kill-agent", "\(node)"]); try cluster.fault(["cut", "\(node)"])
                    what = "node n\(node) lost"
                default:
                    try cluster.fault([kind, job, "\(rank)"])
                    what = "\(kind) \(rank)"
                }
                try cluster.waitUntil(seconds: 300, "the job to end") { ["SUCCEEDED", "FAILED"].contains(try cluster.state(job)) }
                let state = try cluster.state(job)
                let diff = state == "SUCCEEDED" ? try ResumeCheck.lastAttemptDifference(cluster, job: job, spec: text, steps: steps) : .infinity
                let ok = diff <= 1e-6
                if ok { correct += 1 }
                let attempts = try cluster.history(job).map { "\($0["ranks"] as? Int ?? 0)×\($0["outcome"] as? String ?? "?")" }
                print("soak \(round)/\(n): \(what) at step \(at): \(state), attempts \(attempts), difference \(diff): \(ok ? "correct" : "WRONG")")
                if !ok || attempts.count != 2 { print(cluster.failedAttemptLogs(job).split(separator: "\n").map { "soak   | \($0)" }.joined(separator: "\n")) }
            } catch {
                print("soak \(round)/\(n): \(what) at step \(at): \(error)")
            }
            fflush(stdout)
        }
        print("soak: \(correct) of \(n) jobs finished correctly")
        XCTAssertEqual(correct, n)
    }
}
