import Foundation
import Hummingbird
@testable import OneMapServer
import Testing

/// Long requests run at most `concurrency` at once with `queueLimit` waiting; beyond that they are
/// refused at once with 503 and Retry-After, and light work never runs in the lane.
@Suite struct HeavyLaneTests {
    final class Gate: @unchecked Sendable {
        let started = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
    }

    @Test func aFullLaneRefusesWith503AndRetryAfterThenTakesWorkAgain() async throws {
        let lane = HeavyLane(concurrency: 1, queueLimit: 1)
        let gate = Gate()
        // One running (held at the gate), one waiting: the lane is full.
        let running = Task { try await lane.run("a test") { gate.started.signal(); gate.release.wait(); return 1 } }
        gate.started.wait()
        let waiting = Task { try await lane.run("a test") { 2 } }
        for _ in 0..<100 where lane.status["inLane"] != 2 { try await Task.sleep(for: .milliseconds(10)) }
        #expect(lane.status["inLane"] == 2)
        do {
            _ = try await lane.run("a third export") { 3 }
            Issue.record("a full lane took more work")
        } catch let e as APIError {
            #expect(e.status == .serviceUnavailable && e.code == "Busy" && e.message.contains("a third export"))
            #expect(e.headers[.retryAfter] == "5")
        }
        gate.release.signal()
        #expect(try await running.value == 1)
        #expect(try await waiting.value == 2)
        #expect(try await lane.run("a fourth") { 4 } == 4)
        #expect(lane.status["refused"] == 1 && lane.status["inLane"] == 0)
    }

    @Test func laneThreadsRunAtLowerPriority() async throws {
        let lane = HeavyLane(concurrency: 1, queueLimit: 0)
        let nice = try await lane.run("a test") { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        #expect(nice >= 5)
    }
}
