import Foundation
import OneMapGeo
import Testing

/// The parallel helpers keep input order, initialise every element exactly once, and hand a
/// consumer's failure back after stopping the producer.
@Suite struct ParallelTests {
    @Test(arguments: [0, 1, 255, 256, 1000, 4097, 100_003])
    func mapKeepsOrderForAnyCount(count: Int) {
        // Strings: reference-counted elements, which an uninitialised or doubly-initialised slot
        // would show as a crash or a wrong value.
        let out = Parallel.map(count) { "item \($0) " + String(repeating: "x", count: $0 % 40) }
        #expect(out.count == count)
        #expect(out.indices.allSatisfy { out[$0] == "item \($0) " + String(repeating: "x", count: $0 % 40) })
    }

    @Test func mapWithContextMakesOneContextPerChunk() {
        let made = ProducerCount()
        let out = Parallel.map(10_000, context: { made.increment(); return 3 }) { ctx, i in i * ctx }
        #expect(out == (0..<10_000).map { $0 * 3 })
        #expect(made.value >= 1 && made.value <= Parallel.cores * 4)
    }

    @Test(arguments: [1, 4095, 4096, 4097, 20_000])
    func produceAheadHandsEveryValueInOrder(count: Int) throws {
        var seen: [Int] = []
        try Parallel.produceAhead(count, produce: { [$0, $0 * 2] }) { i, value in
            #expect(value == [i, i * 2])
            seen.append(i)
        }
        #expect(seen == Array(0..<count))
    }

    @Test func produceAheadRethrowsTheConsumersFailureAndConsumesNothingAfterIt() {
        struct Stop: Error {}
        var consumed = 0
        #expect(throws: Stop.self) {
            try Parallel.produceAhead(100_000, batch: 1000, produce: { $0 }) { i, _ in
                consumed += 1
                if i == 1500 { throw Stop() }
            }
        }
        #expect(consumed == 1501)
    }
}

final class ProducerCount: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func increment() { lock.withLock { n += 1 } }
    var value: Int { lock.withLock { n } }
}
