import Foundation
import OneMapStore

/// Follows the store's change extents (written in the same transaction as every import, edit and
/// reclassification, by this process or another) and hands each to whoever keeps derived copies:
/// the tile cache and the tile builder's layer snapshots.
final class ChangeFeed: @unchecked Sendable {
    private let store: any FeatureStore
    private let sinks: [@Sendable (ChangeExtent) -> Void]
        private let lock = NSLock()
    private var lastSeq: Int64  // guarded by lock
    /// Failed looks in a row, and the newest failure (nil: the last look worked).
    private var failures = 0, totalFailures = 0  // guarded by lock
    private var lastError: String?  // guarded by lock

    /// Starts after the store's newest change. Throws when the store cannot say which that is
    /// (then nothing may keep derived copies).
    init(store: any FeatureStore, after: Int64? = nil, sinks: [@Sendable (ChangeExtent) -> Void]) throws {
        self.store = store; self.sinks = sinks
        lastSeq = try after ?? store.lastChangeSeq()
    }

    /// One look, for the change-feed service: applies what was committed since the last look.
    /// A failed look is counted for /health (`changeFeed.state`: caches may be stale meanwhile)
    /// and thrown, so the service logs it and retries at its next tick.
    func lookOnce() throws {
        do {
            try catchUp()
            lock.withLock { failures = 0; lastError = nil }
        } catch {
            lock.withLock { failures += 1; totalFailures += 1; lastError = StoreError.publicSummary(of: error) }
            throw error
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
