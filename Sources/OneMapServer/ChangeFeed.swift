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

    /// Starts after the store's newest change. Throws when the store cannot say which that is
    /// (then nothing may keep derived copies).
    init(store: any FeatureStore, after: Int64? = nil, sinks: [@Sendable (ChangeExtent) -> Void]) throws {
        self.store = store; self.sinks = sinks
        lastSeq = try after ?? store.lastChangeSeq()
    }

    /// Applies the changes committed since the last look every `interval`, on a thread of its own.
    func follow(interval: TimeInterval = 0.2) {
        let t = Thread { [weak self] in
            while let feed = self {
                try? feed.catchUp()
                Thread.sleep(forTimeInterval: interval)
            }
        }
        t.name = "onemap-change-feed"
        t.start()
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
