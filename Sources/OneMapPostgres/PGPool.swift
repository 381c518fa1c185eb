import Foundation
import Metrics
import OneMapStore

/// Connections to one PostgreSQL database, each lent to one thread at a time. Opened on first
/// need, not all at start; a connection found broken (the server restarted, the network dropped)
/// is replaced on its next loan, so the store recovers by itself once the server is back, and
/// until then every call fails with a `StoreError` of kind `unavailable` (a 503).
///
/// Callers run on blocking threads (NIOThreadPool or the CLI), so waiting for a free connection
/// blocks on a semaphore rather than suspending.
final class PGPool: @unchecked Sendable {
    let location: PostgresLocation
    let schema: String
    private let lock = NSLock()
    private var idle: [PGConnection] = []  // guarded by lock
    private let available: DispatchSemaphore
    /// Seconds a timed read may run before the server stops it (0: no limit).
    var timeLimit: Double = 0
    private let waitTimer: Metrics.Timer
    private let readTimer: Metrics.Timer

    init(_ location: PostgresLocation, schema: String, size: Int, name: String) {
        self.location = location
        self.schema = schema
        available = DispatchSemaphore(value: size)
        waitTimer = Metrics.Timer(label: "onemap.db.wait", dimensions: [("pool", name)], preferredDisplayUnit: .seconds)
        readTimer = Metrics.Timer(label: "onemap.db.read", dimensions: [("pool", name)], preferredDisplayUnit: .seconds)
    }

    /// Runs `body` on a connection; `timeLimited: false` for scans the server starts itself.
    func with<T>(timeLimited: Bool = true, _ body: (PGConnection) throws -> T) throws -> T {
        let asked = DispatchTime.now().uptimeNanoseconds
        available.wait()
        let lent = DispatchTime.now().uptimeNanoseconds
        waitTimer.recordNanoseconds(Int64(lent - asked))
        defer {
            readTimer.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - lent))
            available.signal()
        }
        var c = lock.withLock { idle.popLast() }
        if let known = c, !known.isAlive { c = nil }  // dropped: a new one is opened below
        let connection = try c ?? PGConnection(location, schema: schema)
        do {
            try connection.setTimeout(seconds: timeLimited ? timeLimit : 0)
            let result = try body(connection)
            lock.withLock { idle.append(connection) }
            return result
        } catch {
            // A connection that failed mid-statement may hold an aborted transaction or unread
            // results: keep it only when it is healthy and idle.
            if !connection.isBroken && connection.isIdle { lock.withLock { idle.append(connection) } }
            throw error
        }
    }
}
