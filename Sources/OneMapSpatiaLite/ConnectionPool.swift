import OneMapStore
import Foundation
import Metrics

/// A fixed set of read connections, each lent to one thread at a time.
///
/// Callers run on blocking threads (NIOThreadPool or the CLI), so waiting for a free connection
/// blocks on a semaphore rather than suspending.
final class ConnectionPool: @unchecked Sendable {
    private let lock = NSLock()
    private var idle: [SQLiteConnection]  // guarded by lock
    private let available: DispatchSemaphore
    /// Seconds a read may run before SQLite stops it (0: no limit).
    var timeLimit: Double = 0
    /// Time waiting for a connection, and holding one (reading), per pool (swift-metrics; the
    /// server's backend exports them as histograms).
    private let waitTimer: Metrics.Timer
    private let readTimer: Metrics.Timer

    /// `streaming`: connections for long sequential reads, with a small page cache and no memory
    /// map, so a read through the whole file does not grow the server's resident memory.
    init(path: String, size: Int, streaming: Bool = false) throws {
        idle = try (0..<size).map { _ in
            let c = try SQLiteConnection(path: path, readOnly: true)
            if streaming {
                try c.exec("PRAGMA cache_size = -2048")
                try c.exec("PRAGMA mmap_size = 0")
            }
            return c
        }
        available = DispatchSemaphore(value: size)
        let dimensions = [("pool", streaming ? "streaming" : "readers")]
        waitTimer = Metrics.Timer(label: "onemap.db.wait", dimensions: dimensions, preferredDisplayUnit: .seconds)
        readTimer = Metrics.Timer(label: "onemap.db.read", dimensions: dimensions, preferredDisplayUnit: .seconds)
    }

    /// Runs `body` on an idle connection; `timeLimited: false` for whole-table scans the server
    /// starts itself (the statistics engine's build), which the per-request limit must not stop.
    func with<T>(timeLimited: Bool = true, _ body: (SQLiteConnection) throws -> T) throws -> T {
        let asked = DispatchTime.now().uptimeNanoseconds
        available.wait()
        let lent = DispatchTime.now().uptimeNanoseconds
        waitTimer.recordNanoseconds(Int64(lent - asked))
        let c = lock.withLock { idle.removeLast() }
        let limit = timeLimited ? timeLimit : 0
        if limit > 0 {
            c.deadline.limitSeconds = limit
            c.deadline.at = DispatchTime.now().uptimeNanoseconds + UInt64(limit * 1e9)
        }
        defer {
            readTimer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - lent))
            c.deadline.at = 0
            // A statement left mid-result keeps its read transaction open, pinning the connection to
            // an old snapshot: it would never see later commits (another process's import).
            c.resetBusyStatements()
            lock.withLock { idle.append(c) }
            available.signal()
        }
        return try body(c)
    }
}
