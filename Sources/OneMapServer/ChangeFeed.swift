import Foundation
import Logging
import OneMapStore

/// Follows the store's change extents (written in the same transaction as every import, edit and
/// reclassification, by this process or another) and hands each to whoever keeps derived copies:
/// the tile cache and the tile builder's layer snapshots.
final class ChangeFeed: @unchecked Sendable {
    private let store: any FeatureStore
    private let sinks: [@Sendable (ChangeExtent) -> Void]
    private let logger: Logger
    private let lock = NSLock()
    private var lastSeq: Int64  // guarded by lock
    /// Failed looks in a row, and the newest failure (nil: the last look worked).
    private var failures = 0, totalFailures = 0  // guarded by lock
    private var lastError: String?  // guarded by lock

    /// Starts after the store's newest change. Throws when the store cannot say which that is
    /// (then nothing may keep derived copies).
    init(store: any FeatureStore, after: Int64? = nil, logger: Logger = Logger(label: "onemap.change-feed"),
         sinks: [@Sendable (ChangeExtent) -> Void]) throws {
        self.store = store; self.sinks = sinks; self.logger = logger
        lastSeq = try after ?? store.lastChangeSeq()
    }

    /// Applies the changes committed since the last look every `interval`, on a thread of its own.
    /// A failed look is logged (once, and again when it recovers) and retried at the next tick:
    /// meanwhile caches may be stale, which `/health` says (`changeFeed.state`).
    func follow(interval: TimeInterval = 0.2) {
        let t = Thread { [weak self] in
            while let feed = self {
                feed.look()
                Thread.sleep(forTimeInterval: interval)
            }
        }
        t.name = "onemap-change-feed"
        t.start()
    }

    func look() {
        do {
            try catchUp()
            let recovered = lock.withLock { () -> Int in
                defer { failures = 0; lastError = nil }
                return failures
            }
            if recovered > 0 { logger.notice("change feed recovered", metadata: ["failedLooks": .stringConvertible(recovered)]) }
        } catch {
            let first = lock.withLock { () -> Bool in
                failures += 1; totalFailures += 1
                lastError = "\(error)"
                return failures == 1
            }
            if first { logger.error("change feed cannot read the store's changes; caches may be stale until it recovers", metadata: ["error": .string("\(error)")]) }
        }
    }

    /// For /health: "following" or "failing" (caches may be stale), the last change applied.
    /// The newest change applied and the failed looks so far (for /metrics).
    var progress: (lastSeq: Int64, failures: Int, failing: Bool) {
        lock.withLock { (lastSeq, totalFailures, failures > 0) }
    }

    var health: [String: Any] {
        lock.withLock {
            var doc: [String: Any] = ["state": failures == 0 ? "following" : "failing", "lastSeq": lastSeq, "failures": totalFailures]
            if let lastError { doc["lastError"] = lastError }
            return doc
        }
    }

    /// Applies the changes committed since the last look (also right after this process's edits).
    func catchUp() throws {
        try lock.withLock {
            let changes = try store.changeExtents(after: lastSeq)
            for c in changes { for sink in sinks { sink(c) } }
            if let last = changes.last { lastSeq = max(lastSeq, last.seq) }
        }
    }
}
