import CSQLite3
import Foundation
import OneMapGeo
import OneMapStore

/// The tile cache's second level on disk (`onemap serve --tile-cache-dir DIR`): encoded tiles keyed
/// as in memory (the caller's view, the tile, the day), with the scope a change is matched against,
/// so a restart starts warm. It follows the same change extents as the memory cache; at start it
/// applies the changes committed while the server was down (it records the last one it applied),
/// and it empties itself when it belongs to another database or the database was rebuilt.
/// The file is readable by its owner only: it holds tiles of departments' views.
public final class PersistentTileStore: @unchecked Sendable {
    private let lock = NSLock()
    private var db: OpaquePointer?  // guarded by lock
    public let path: String
    /// Bytes of tiles kept at most; past it the oldest tenth goes.
    public let maxBytes: Int
    private var bytesHeld = 0  // guarded by lock

    /// Opens (or creates) `DIR/tiles.sqlite` for the store `owner`, whose newest change is
    /// `storeSeq`; `changes` gives the store's changes after a sequence number.
    public init(directory: String, owner: StoreIdentity, storeSeq: Int64, maxBytes: Int = 4 << 30,
                changes: (Int64) throws -> [ChangeExtent]) throws {
        self.maxBytes = maxBytes
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        path = (directory as NSString).appendingPathComponent("tiles.sqlite")
        guard sqlite3_open(path, &db) == SQLITE_OK else { throw StoreError("cannot open the tile cache \(path)") }
        chmod(path, 0o600)
        try exec("PRAGMA journal_mode = WAL")
        try exec("PRAGMA synchronous = NORMAL")
        try exec("""
            CREATE TABLE IF NOT EXISTS tiles (key TEXT PRIMARY KEY, bytes BLOB NOT NULL, features INTEGER NOT NULL, layers TEXT NOT NULL,
              min_x REAL, min_y REAL, max_x REAL, max_y REAL, last_day TEXT);
            CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY, value TEXT)
            """)
        let savedOwner = try value("store"), savedSeq = Int64(try value("seq") ?? "") ?? -1
        if savedOwner != owner.value || savedSeq < 0 || savedSeq > storeSeq {
            // Another database, or this one rebuilt (its change log restarted): nothing here is known good.
            try exec("DELETE FROM tiles")
        } else {
            for c in try changes(savedSeq) where c.seq <= storeSeq { try drop(c) }
        }
        try set("store", owner.value)
        try set("seq", String(storeSeq))
        bytesHeld = try total()
    }

    private func total() throws -> Int {
        let s = try statement("SELECT coalesce(sum(length(bytes)), 0) FROM tiles")
        defer { sqlite3_finalize(s) }
        return sqlite3_step(s) == SQLITE_ROW ? Int(sqlite3_column_int64(s, 0)) : 0
    }

    deinit { sqlite3_close(db) }

    private func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw StoreError("tile cache: \(String(cString: sqlite3_errmsg(db)))") }
    }

    private func statement(_ sql: String) throws -> OpaquePointer? {
        var s: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &s, nil) == SQLITE_OK else { throw StoreError("tile cache: \(String(cString: sqlite3_errmsg(db)))") }
        return s
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private func value(_ name: String) throws -> String? {
        let s = try statement("SELECT value FROM state WHERE name = ?")
        defer { sqlite3_finalize(s) }
        sqlite3_bind_text(s, 1, name, -1, Self.transient)
        guard sqlite3_step(s) == SQLITE_ROW, let t = sqlite3_column_text(s, 0) else { return nil }
        return String(cString: t)
    }

    private func set(_ name: String, _ value: String) throws {
        let s = try statement("INSERT OR REPLACE INTO state(name, value) VALUES (?, ?)")
        defer { sqlite3_finalize(s) }
        sqlite3_bind_text(s, 1, name, -1, Self.transient)
        sqlite3_bind_text(s, 2, value, -1, Self.transient)
        guard sqlite3_step(s) == SQLITE_DONE else { throw StoreError("tile cache: cannot record \(name)") }
    }

    /// The stored tile (bytes, feature count) for a key.
    public func get(_ key: String) -> (bytes: [UInt8], features: Int)? {
        lock.withLock {
            // A change it could not apply: nothing it holds may be trusted until a restart re-applies it.
            guard !untrusted else { return nil }
            guard let s = try? statement("SELECT bytes, features FROM tiles WHERE key = ?") else { return nil }
            defer { sqlite3_finalize(s) }
            sqlite3_bind_text(s, 1, key, -1, Self.transient)
            guard sqlite3_step(s) == SQLITE_ROW else { return nil }
            let n = Int(sqlite3_column_bytes(s, 0))
            let bytes = n > 0 ? [UInt8](UnsafeRawBufferPointer(start: sqlite3_column_blob(s, 0), count: n)) : []
            return (bytes, Int(sqlite3_column_int64(s, 1)))
        }
    }

    /// Keeps a tile with what it shows: layers, lon/lat box, last day (nil: open ended).
    public func put(_ key: String, bytes: [UInt8], features: Int, layers: Set<String>, box: BBox, lastDay: String?) {
        lock.withLock {
            guard let s = try? statement("INSERT OR REPLACE INTO tiles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)") else { return }
            defer { sqlite3_finalize(s) }
            sqlite3_bind_text(s, 1, key, -1, Self.transient)
            _ = bytes.withUnsafeBytes { sqlite3_bind_blob(s, 2, $0.baseAddress ?? UnsafeRawPointer(bitPattern: 1), Int32($0.count), Self.transient) }
            sqlite3_bind_int64(s, 3, Int64(features))
            // ",a,b," so that one layer matches with LIKE '%,a,%'.
            sqlite3_bind_text(s, 4, "," + layers.sorted().joined(separator: ",") + ",", -1, Self.transient)
            sqlite3_bind_double(s, 5, box.minX); sqlite3_bind_double(s, 6, box.minY)
            sqlite3_bind_double(s, 7, box.maxX); sqlite3_bind_double(s, 8, box.maxY)
            if let lastDay { sqlite3_bind_text(s, 9, lastDay, -1, Self.transient) } else { sqlite3_bind_null(s, 9) }
            guard sqlite3_step(s) == SQLITE_DONE else { return }
            bytesHeld += bytes.count
            if bytesHeld > maxBytes {
                // Oldest first (a replaced tile gets a new rowid): a tenth at a time.
                try? exec("DELETE FROM tiles WHERE rowid IN (SELECT rowid FROM tiles ORDER BY rowid LIMIT max(1, (SELECT count(*) FROM tiles) / 10))")
                bytesHeld = (try? total()) ?? 0
            }
        }
    }

    /// The newest failure to keep the cache true to the store (for /health), nil when none.
    public var lastProblem: String? { lock.withLock { problem } }
    private var problem: String?  // guarded by lock
    private var untrusted = false  // guarded by lock

    /// Drops every tile the change can alter and records it as applied. When the drop fails, every
    /// tile is dropped; when even that fails, the change is not recorded as applied, so the next
    /// start applies it again (and the in-memory cache in front of this one is dropped anyway).
    public func invalidate(_ change: ChangeExtent) {
        lock.withLock {
            do {
                do { try drop(change) } catch {
                    problem = "change \(change.seq) on \(change.layer) could not be applied (\(error)); every tile dropped"
                    try exec("DELETE FROM tiles")
                    bytesHeld = 0
                }
                try set("seq", String(change.seq))
            } catch {
                problem = "change \(change.seq) on \(change.layer) could not be applied or recorded: \(error); the disk cache serves nothing until a restart"
                untrusted = true
            }
        }
    }

    /// Call with the lock held (or from init).
    private func drop(_ c: ChangeExtent) throws {
        var sql = "DELETE FROM tiles WHERE layers LIKE ?"
        if c.fromDay != nil { sql += " AND (last_day IS NULL OR last_day >= ?2)" }
        if c.box != nil { sql += " AND min_x <= ?5 AND max_x >= ?3 AND min_y <= ?6 AND max_y >= ?4" }
        let s = try statement(sql)
        defer { sqlite3_finalize(s) }
        sqlite3_bind_text(s, 1, "%," + c.layer + ",%", -1, Self.transient)
        if let d = c.fromDay { sqlite3_bind_text(s, 2, d, -1, Self.transient) }
        if let b = c.box {
            sqlite3_bind_double(s, 3, b.minX); sqlite3_bind_double(s, 4, b.minY)
            sqlite3_bind_double(s, 5, b.maxX); sqlite3_bind_double(s, 6, b.maxY)
        }
        guard sqlite3_step(s) == SQLITE_DONE else { throw StoreError("tile cache: \(String(cString: sqlite3_errmsg(db)))") }
    }

    /// Tiles held (for /health and tests).
    public var count: Int {
        lock.withLock {
            guard let s = try? statement("SELECT count(*) FROM tiles") else { return 0 }
            defer { sqlite3_finalize(s) }
            return sqlite3_step(s) == SQLITE_ROW ? Int(sqlite3_column_int64(s, 0)) : 0
        }
    }
}
