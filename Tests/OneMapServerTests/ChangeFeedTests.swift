import CSQLite3
import Foundation
@testable import OneMapServer
import OneMapStore
import OneMapSpatiaLite
import Testing

/// The change feed never fails silently: a look that cannot read the store's changes shows in its
/// health (and the log) until it recovers, and the changes it missed are applied then.
@Suite struct ChangeFeedTests {
    /// Runs SQL on the store's file from a connection of its own (another process would).
    static func exec(_ path: String, _ sql: String) throws {
        var db: OpaquePointer?
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw StoreError("cannot open \(path)") }
        defer { sqlite3_close(db) }
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw StoreError(String(cString: sqlite3_errmsg(db))) }
    }

    @Test func aFailingLookShowsInHealthAndTheMissedChangesArriveOnRecovery() throws {
        let path = NSTemporaryDirectory() + "onemap-feed-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + s) { _ = unlink(path + s) } }
        let store = try SpatiaLiteStore(path: path, create: true)
        let seen = Seen()
        let feed = try ChangeFeed(store: store, sinks: [{ seen.add($0) }])
        try feed.lookOnce()
        #expect(feed.health["state"] as? String == "following")

        try Self.exec(path, "ALTER TABLE change_extents RENAME TO change_extents_away")
        #expect(throws: (any Error).self) { try feed.lookOnce() }
        #expect(feed.health["state"] as? String == "failing")
        // /health answers anyone: it names the kind of failure, never the SQL or the table.
        let shown = feed.health["lastError"] as? String
        #expect(shown?.isEmpty == false)
        #expect(shown?.contains("change_extents") == false)
        #expect(feed.health["failures"] as? Int == 1)

        try Self.exec(path, "ALTER TABLE change_extents_away RENAME TO change_extents")
        try store.recordChange(layer: "buildings", fromDay: "2025-01-01", box: nil)
        try feed.lookOnce()
        #expect(feed.health["state"] as? String == "following" && feed.health["lastError"] == nil)
        #expect(seen.layers == ["buildings"])
    }

    final class Seen: @unchecked Sendable {
        private let lock = NSLock()
        private var list: [String] = []
        func add(_ c: ChangeExtent) { lock.withLock { list.append(c.layer) } }
        var layers: [String] { lock.withLock { list } }
    }
}
