import Dispatch
import Foundation

/// Data-parallel helpers for imports (parsing, checking): work split into contiguous chunks over
/// the machine's cores, results kept in input order.
public enum Parallel {
    public static var cores: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// `transform(i)` for every i in 0..<count, in order. `transform` must be safe to call from
    /// several threads at once; failures belong in `T`.
    public static func map<T>(_ count: Int, minimumChunk: Int = 256, _ transform: (Int) -> T) -> [T] {
        let chunks = min(cores * 4, max(1, count / minimumChunk))
        if chunks <= 1 { return (0..<count).map(transform) }
        var results = [[T]](repeating: [], count: chunks)
        withoutActuallyEscaping(transform) { transform in
            results.withUnsafeMutableBufferPointer { out in
                nonisolated(unsafe) let out = out
                nonisolated(unsafe) let transform = transform
                DispatchQueue.concurrentPerform(iterations: chunks) { c in
                    let lo = count * c / chunks, hi = count * (c + 1) / chunks
                    var part: [T] = []
                    part.reserveCapacity(hi - lo)
                    for i in lo..<hi { part.append(transform(i)) }
                    out[c] = part
                }
            }
        }
        var all: [T] = []
        all.reserveCapacity(count)
        for part in results { all.append(contentsOf: part) }
        return all
    }

    /// Like `map`, with a context made once per chunk (a GEOS or PROJ handle, which must not be
    /// shared between threads).
    public static func map<C, T>(_ count: Int, minimumChunk: Int = 256, context makeContext: () -> C,
                                 _ transform: (C, Int) -> T) -> [T] {
        let chunks = min(cores * 4, max(1, count / minimumChunk))
        nonisolated(unsafe) let make = makeContext
        return withoutActuallyEscaping(makeContext) { _ in
            let parts: [[T]] = map(chunks, minimumChunk: 1) { c in
                let ctx = make()
                let lo = count * c / chunks, hi = count * (c + 1) / chunks
                return (lo..<hi).map { transform(ctx, $0) }
            }
            return parts.flatMap { $0 }
        }
    }

    /// Lets the other core free a large structure (hundreds of thousands of small arrays and
    /// dictionaries) while this thread goes on with serial work.
    public static func releaseInBackground<T>(_ value: T) {
        nonisolated(unsafe) var held: T? = value
        DispatchQueue.global(qos: .utility).async { held = nil; _ = held }
    }
}
