import Dispatch
import Foundation

/// Data-parallel helpers for imports (parsing, checking): work split into contiguous chunks over
/// the machine's cores, results kept in input order.
public enum Parallel {
    public static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `transform(i)` for every i in 0..<count, in order. `transform` must be safe to call from
    /// several threads at once; failures belong in `T`.
    ///
    /// Each chunk initialises its own slice of the result in place: no per-chunk arrays to join,
    /// so no element is copied (for imports, 200,000 records of arrays and strings: copying them
    /// retained and released every one). Inlinable so callers get it specialised for their `T`.
    @inlinable
    public static func map<T>(_ count: Int, minimumChunk: Int = 256, _ transform: (Int) -> T) -> [T] {
        let chunks = min(cores * 4, max(1, count / minimumChunk))
        if chunks <= 1 { return (0..<count).map(transform) }
        return withoutActuallyEscaping(transform) { transform in
            [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                nonisolated(unsafe) let out = buffer.baseAddress!
                nonisolated(unsafe) let transform = transform
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    for i in count * c / chunks..<count * (c + 1) / chunks { (out + i).initialize(to: transform(i)) }
                }
                initialized = count
            }
        }
    }

    /// Like `map`, with a context made once per chunk (a GEOS or PROJ handle, which must not be
    /// shared between threads).
    @inlinable
    public static func map<C, T>(_ count: Int, minimumChunk: Int = 256, context makeContext: () -> C,
                                 _ transform: (C, Int) -> T) -> [T] {
        let chunks = min(cores * 4, max(1, count / minimumChunk))
        if chunks <= 1 {
            let ctx = makeContext()
            return (0..<count).map { transform(ctx, $0) }
        }
        return withoutActuallyEscaping(makeContext) { makeContext in
            withoutActuallyEscaping(transform) { transform in
                [T](unsafeUninitializedCapacity: count) { buffer, initialized in
                    nonisolated(unsafe) let out = buffer.baseAddress!
                    nonisolated(unsafe) let make = makeContext
                    nonisolated(unsafe) let transform = transform
                    DispatchQueue.concurrentPerform(iterations: chunks) { c in
                        let ctx = make()
                        for i in count * c / chunks..<count * (c + 1) / chunks { (out + i).initialize(to: transform(ctx, i)) }
                    }
                    initialized = count
                }
            }
        }
    }

    /// Lets the other core free a large structure (hundreds of thousands of small arrays and
    /// dictionaries) while this thread goes on with serial work.
    public static func releaseInBackground<T>(_ value: T) {
        nonisolated(unsafe) var held: T? = value
        DispatchQueue.global(qos: .utility).async { held = nil; _ = held }
    }
}

extension Parallel {
    /// `produce(i)` for i in 0..<count on one thread, in batches and in order, while another hands
    /// each result to `consume(i, value)` as soon as its batch is ready: a serial consumer (an
    /// SQLite writer) no longer waits for all of the production first. `consume` runs on one
    /// thread at a time, in order. Returns (or throws what `consume` threw) after both stopped.
    @inlinable
    public static func produceAhead<T>(_ count: Int, batch: Int = 4096, produce: (Int) -> T,
                                       consume: (Int, T) throws -> Void) throws {
        guard count > 0 else { return }
        let batches = (count + batch - 1) / batch
        let slots = UnsafeMutablePointer<[T]?>.allocate(capacity: batches)
        slots.initialize(repeating: nil, count: batches)
        defer {
            slots.deinitialize(count: batches)
            slots.deallocate()
        }
        let ready = (0..<batches).map { _ in DispatchSemaphore(value: 0) }
        let stop = ProducerStop()
        nonisolated(unsafe) var failure: (any Error)?
        try withoutActuallyEscaping(produce) { produce in
            try withoutActuallyEscaping(consume) { consume in
                nonisolated(unsafe) let produce = produce, consume = consume, out = slots
                // Two iterations, synchronous: the closures never outlive this call. Iteration 0
                // (the producer) never waits for the consumer, so a pool with one free thread
                // runs them one after the other instead of deadlocking.
                DispatchQueue.concurrentPerform(iterations: 2) { role in
                    if role == 0 {
                        for b in 0..<batches {
                            if stop.isStopped { ready[b].signal(); continue }
                            let lo = b * batch, hi = min(count, lo + batch)
                            var part: [T] = []
                            part.reserveCapacity(hi - lo)
                            for i in lo..<hi { part.append(produce(i)) }
                            out[b] = part
                            ready[b].signal()
                        }
                    } else {
                        do {
                            for b in 0..<batches {
                                ready[b].wait()
                                guard let part = out[b].take() else { return }
                                for (k, value) in part.enumerated() { try consume(b * batch + k, value) }
                            }
                        } catch {
                            failure = error
                            stop.stop()
                        }
                    }
                }
                if let failure { throw failure }
            }
        }
    }
}

/// Tells a producer thread to stop early (its consumer failed).
public final class ProducerStop: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    public init() {}
    public var isStopped: Bool { lock.withLock { flag } }
    public func stop() { lock.withLock { flag = true } }
}
