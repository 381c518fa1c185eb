import Foundation
@testable import OneMapServer
import Testing

/// The pipe between an export being made and the response being written: bytes arrive in order,
/// the producer waits while the pipe is full, and a reader that goes away or stalls stops it.
@Suite struct BytePipeTests {
    final class Counter: @unchecked Sendable {
        let lock = NSLock()
        var sent = 0
        var error: Error?
    }

    /// Waits (without blocking a thread of the cooperative pool) until `done` or 30 s.
    static func eventually(_ done: () -> Bool) async throws {
        for _ in 0..<3000 where !done() { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test func piecesArriveInOrderAndTheEndIsNil() async throws {
        let pipe = BytePipe(capacity: 10, stallSeconds: 3600)  // other suites may hold the cooperative pool for minutes
        let counter = Counter()
        Thread.detachNewThread {
            do {
                for n in 0..<50 { try pipe.send([UInt8(n), UInt8(n)]) }
                pipe.finish()
            } catch {
                counter.lock.withLock { counter.error = error }
                pipe.fail(error)
            }
        }
        var got: [UInt8] = []
        while let p = try await pipe.next() { got += p }
        #expect(got == (0..<50).flatMap { [UInt8($0), UInt8($0)] })
        #expect(counter.lock.withLock { counter.error } == nil)
    }

    @Test func aFullPipeHoldsTheProducerUntilTheReaderTakes() async throws {
        let pipe = BytePipe(capacity: 4, stallSeconds: 3600)
        let counter = Counter()
        Thread.detachNewThread {
            do {
                for _ in 0..<10 {
                    try pipe.send([1, 2])
                    counter.lock.withLock { counter.sent += 1 }
                }
                pipe.finish()
            } catch {
                counter.lock.withLock { counter.error = error }
                pipe.fail(error)
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        // Two pieces fill the 4 bytes; the third waits for the reader.
        #expect(counter.lock.withLock { counter.sent } == 2)
        var total = 0
        while let p = try await pipe.next() { total += p.count }
        #expect(total == 20)
    }

    @Test func aReaderThatGoesAwayStopsTheProducer() async throws {
        let pipe = BytePipe(capacity: 4, stallSeconds: 3600)
        let counter = Counter()
        Thread.detachNewThread {
            do {
                for _ in 0..<1000 { try pipe.send([1, 2, 3]) }
                pipe.finish()
            } catch { counter.lock.withLock { counter.error = error } }
        }
        _ = try await pipe.next()
        pipe.cancel("the client went away")
        try await Self.eventually { counter.lock.withLock { counter.error != nil } }
        #expect((counter.lock.withLock { counter.error } as? BytePipe.Cancelled)?.reason == "the client went away")
    }

    @Test func aReaderThatStallsStopsTheProducerAfterTheStallTime() throws {
        let pipe = BytePipe(capacity: 2, stallSeconds: 0.2)
        try pipe.send([1, 2])
        let t = Date()
        #expect(throws: BytePipe.Cancelled.self) { try pipe.send([3]) }
        #expect(Date().timeIntervalSince(t) >= 0.19)
    }

    @Test func aProducerFailureReachesTheReader() async throws {
        struct Broke: Error {}
        let pipe = BytePipe()
        try pipe.send([7])
        pipe.fail(Broke())
        #expect(try await pipe.next() == [7])
        await #expect(throws: Broke.self) { try await pipe.next() }
    }
}
