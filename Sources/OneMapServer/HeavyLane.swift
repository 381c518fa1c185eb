import Foundation
import Hummingbird
import NIOPosix

/// Long requests (exports, reports, server-drawn maps, statistics of the whole city) run in a lane
/// of their own: on threads of their own, at most `concurrency` at once and `queueLimit` waiting.
/// Beyond that a request is refused at once with 503 and Retry-After. Tiles, item pages and the
/// statistics of smaller areas run on the shared pool and so never wait behind them.
final class HeavyLane: @unchecked Sendable {
    let concurrency: Int
    let queueLimit: Int
    private let pool: NIOThreadPool
    private let lock = NSLock()
    private var admitted = 0  // running and waiting; guarded by lock
    private var refused = 0  // guarded by lock

    init(concurrency: Int, queueLimit: Int) {
        self.concurrency = max(1, concurrency)
        self.queueLimit = max(0, queueLimit)
        pool = NIOThreadPool(numberOfThreads: self.concurrency)
        pool.start()
    }

    deinit { pool.shutdownGracefully { _ in } }

    /// Runs `body` in the lane, or refuses when the lane and its queue are full.
    func run<T: Sendable>(_ what: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let admittedNow = lock.withLock { () -> Bool in
            guard admitted < concurrency + queueLimit else { refused += 1; return false }
            admitted += 1
            return true
        }
        guard admittedNow else {
            throw APIError(.serviceUnavailable, "Busy",
                           "the server is busy with \(concurrency + queueLimit) long requests (exports, reports, maps, city statistics); \(what) can be retried in a few seconds",
                           headers: [.retryAfter: "5"])
        }
        defer { lock.withLock { admitted -= 1 } }
        return try await pool.runIfActive {
            Self.yieldToLightWork()
            return try body()
        }
    }

    /// Lowers the calling lane thread's priority (nice 5, a third of a normal thread's share of a
    /// busy core) once: when the cores are busy, tiles, pages and small statistics run first and
    /// long work still progresses (nice 10 starved it: a report took 16 s under the mixed load). (On Linux the nice
    /// value is a thread's own: `setpriority` with who = 0 changes only the calling thread.)
    private static func yieldToLightWork() {
        #if os(Linux)
        if Thread.current.threadDictionary["onemap.heavyLane.niced"] == nil {
            Thread.current.threadDictionary["onemap.heavyLane.niced"] = true
            // Not permitted (a hardened system): the lane keeps its normal priority, nothing else changes.
            if setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 5) != 0 { return }
        }
        #endif
    }

    /// For /health.
    var status: [String: Int] {
        lock.withLock { ["concurrency": concurrency, "queueLimit": queueLimit, "inLane": admitted, "refused": refused] }
    }
}
