import OneMapStore
import CSQLite3
import CSpatiaLite
import Foundation

extension StoreError {
    /// An error SQLite reported: a constraint the data broke is the caller's (without the SQL); a
    /// busy, locked, unopenable or full database is unavailable; everything else is internal.
    static func sqlite(_ code: Int32, _ message: String, sql: String? = nil) -> StoreError {
        switch code & 0xff {
        case SQLITE_CONSTRAINT, SQLITE_MISMATCH, SQLITE_TOOBIG: StoreError(message, kind: .invalid)
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL, SQLITE_NOMEM, SQLITE_READONLY, SQLITE_PROTOCOL:
            StoreError(message, kind: .unavailable)
        default: StoreError(sql.map { "\(message) in: \($0.prefix(300))" } ?? message, kind: .internal)
        }
    }
}

/// When a connection's current read must stop (uptime nanoseconds; 0 = no limit). SQLite's
/// progress handler reads it every few thousand virtual-machine steps.
final class QueryDeadline: @unchecked Sendable {
    var at: UInt64 = 0
    var limitSeconds: Double = 0
}

// SQLite wants SQLITE_TRANSIENT (-1) to copy bound text/blobs; Swift cannot import the macro.
let SQLITE_TRANSIENT = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// One SQLite connection with SpatiaLite loaded. Owned by one thread at a time; closes in `deinit`.
final class SQLiteConnection {
    let db: OpaquePointer
    private let spatialiteCache: UnsafeMutableRawPointer?
    let path: String
    /// Read time limit of the current borrower (set by `ConnectionPool.with`).
    let deadline = QueryDeadline()

    /// `newFile`: the file is being built from scratch and will be renamed into place when done
    /// (nothing else reads it; a crash leaves only the temporary file): journal in memory, no
    /// syncs until the caller syncs the finished file, instead of WAL (which would write every page
    /// twice: to the log, then to the file).
    /// Process-wide SQLite settings, applied once before the first connection opens.
    private static let configured: Void = { _ = onemap_sqlite3_disable_memstatus() }()

    init(path: String, readOnly: Bool = false, newFile: Bool = false) throws {
        Self.configured
        var handle: OpaquePointer?
        let flags = (readOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            if let handle { sqlite3_close_v2(handle) }
            throw StoreError("cannot open database \(path): \(msg)", kind: .unavailable)
        }
        db = handle
        self.path = path
        // SpatiaLite: one internal cache per connection, released after the connection closes.
        spatialiteCache = spatialite_alloc_connection()
        spatialite_init_ex(db, spatialiteCache, 0)
        sqlite3_busy_timeout(db, 10_000)
        // Every 10,000 VM steps: past the deadline, the statement stops with SQLITE_INTERRUPT.
        sqlite3_progress_handler(db, 10_000, { context in
            guard let context else { return 0 }
            let d = Unmanaged<QueryDeadline>.fromOpaque(context).takeUnretainedValue()
            return d.at != 0 && DispatchTime.now().uptimeNanoseconds > d.at ? 1 : 0
        }, Unmanaged.passUnretained(deadline).toOpaque())
        try exec("PRAGMA foreign_keys = ON")
        if newFile {
            try exec("PRAGMA journal_mode = MEMORY")
            try exec("PRAGMA synchronous = OFF")
        } else if !readOnly {
            // WAL: readers (the running server) never block on a writer (an import) and see
            // either the whole transaction or none of it; the file survives a crash mid-write.
            try exec("PRAGMA journal_mode = WAL")
            try exec("PRAGMA synchronous = NORMAL")
        }
        try exec("PRAGMA cache_size = -65536")  // 64 MiB page cache
        try exec("PRAGMA mmap_size = 1073741824")
    }

    deinit {
        statementCache.removeAll()
        sqlite3_close_v2(db)
        spatialite_cleanup_ex(spatialiteCache)
    }

    var errorMessage: String { String(cString: sqlite3_errmsg(db)) }

    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(db) }

    /// Resets every statement of this connection that has not run to completion, ending the read
    /// transaction it holds.
    func resetBusyStatements() {
        var stmt = sqlite3_next_stmt(db, nil)
        while let s = stmt {
            if sqlite3_stmt_busy(s) != 0 { sqlite3_reset(s) }
            stmt = sqlite3_next_stmt(db, s)
        }
    }

    func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(db, sql, nil, nil, &err)
        if rc != SQLITE_OK {
            let m = err.map { String(cString: $0) } ?? errorMessage
            sqlite3_free(err)
            // The deadline also stops statements run whole (a statistics pass's temporary index).
            if rc == SQLITE_INTERRUPT, deadline.at != 0 {
                throw StoreError("the query ran past the time limit of \(Int(deadline.limitSeconds)) s; ask for a smaller area, fewer features or a narrower filter", timedOut: true)
            }
            throw StoreError.sqlite(rc, m, sql: sql)
        }
    }

    /// Statements kept prepared for the connection's lifetime (hot queries: tiles, lookups).
    private var statementCache: [String: Statement] = [:]

    /// A cached prepared statement, reset and ready to bind.
    func cached(_ sql: String) throws -> Statement {
        if let s = statementCache[sql] { s.reset(); return s }
        let s = try prepare(sql)
        statementCache[sql] = s
        return s
    }

    func prepare(_ sql: String) throws -> Statement {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil) == SQLITE_OK, let stmt else {
            throw StoreError.sqlite(sqlite3_errcode(db), errorMessage, sql: sql)
        }
        return Statement(connection: self, stmt: stmt)
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T {
        try exec("BEGIN IMMEDIATE")
        do {
            let v = try body()
            try exec("COMMIT")
            return v
        } catch {
            try? exec("ROLLBACK")
            throw error
        }
    }

    /// First column of the first row as Int (nil when no row or NULL).
    func scalarInt(_ sql: String, _ args: [SQLValue] = []) throws -> Int64? {
        let s = try prepare(sql)
        try s.bind(args)
        guard try s.step() else { return nil }
        return s.isNull(0) ? nil : s.int(0)
    }
}

/// A prepared statement; finalised in `deinit`.
final class Statement {
    unowned let connection: SQLiteConnection
    let stmt: OpaquePointer

    init(connection: SQLiteConnection, stmt: OpaquePointer) { self.connection = connection; self.stmt = stmt }
    deinit { sqlite3_finalize(stmt) }

    func reset() {
        sqlite3_reset(stmt)
        sqlite3_clear_bindings(stmt)
    }

    func bind(_ values: [SQLValue]) throws {
        for (i, v) in values.enumerated() { try bind(i + 1, v) }
    }

    /// Binds as many of `values` as the statement has parameters (composed SQL may leave out the
    /// conditions that use the last ones).
    func bindLeading(_ values: [SQLValue]) throws {
        let n = Int(sqlite3_bind_parameter_count(stmt))
        for (i, v) in values.prefix(n).enumerated() { try bind(i + 1, v) }
    }

    func bind(_ i: Int, _ v: SQLValue) throws {
        let idx = Int32(i)
        let rc: Int32
        switch v {
        case .null: rc = sqlite3_bind_null(stmt, idx)
        case .int(let n): rc = sqlite3_bind_int64(stmt, idx, n)
        case .double(let d): rc = sqlite3_bind_double(stmt, idx, d)
        case .text(var s):
            // Its UTF-8 bytes with their length: no C-string copy (small strings made one on the
            // heap per bind) and no strlen. An empty buffer may have no address: bound as '' (a
            // nil pointer would bind NULL).
            rc = s.withUTF8 { u in
                u.isEmpty ? sqlite3_bind_text(stmt, idx, "", 0, SQLITE_TRANSIENT)
                    : u.withMemoryRebound(to: CChar.self) { sqlite3_bind_text(stmt, idx, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
            }
        case .blob(let b):
            rc = b.isEmpty ? sqlite3_bind_zeroblob(stmt, idx, 0)
                : b.withUnsafeBytes { sqlite3_bind_blob(stmt, idx, $0.baseAddress, Int32($0.count), SQLITE_TRANSIENT) }
        }
        guard rc == SQLITE_OK else { throw StoreError.sqlite(rc, "bind parameter \(i): \(connection.errorMessage)") }
    }

    func bind(_ i: Int, _ s: String?) throws { try bind(i, s.map { .text($0) } ?? .null) }
    func bind(_ i: Int, _ n: Int?) throws { try bind(i, n.map { .int(Int64($0)) } ?? .null) }
    func bind(_ i: Int, _ d: Double) throws { try bind(i, .double(d)) }

    /// Advances; true when a row is available, false when done.
    @discardableResult
    func step() throws -> Bool {
        let rc = sqlite3_step(stmt)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        if rc == SQLITE_INTERRUPT, connection.deadline.at != 0 {
            throw StoreError("the query ran past the time limit of \(Int(connection.deadline.limitSeconds)) s; ask for a smaller area, fewer features or a narrower filter", timedOut: true)
        }
        throw StoreError.sqlite(rc, connection.errorMessage, sql: String(cString: sqlite3_sql(stmt)))
    }

    /// Runs an insert/update with the given values and resets for the next use.
    func run(_ values: [SQLValue]) throws {
        defer { reset() }
        try bind(values)
        try step()
    }

    func isNull(_ c: Int32) -> Bool { sqlite3_column_type(stmt, c) == SQLITE_NULL }
    func int(_ c: Int32) -> Int64 { sqlite3_column_int64(stmt, c) }
    func double(_ c: Int32) -> Double { sqlite3_column_double(stmt, c) }
    func text(_ c: Int32) -> String? {
        guard let p = sqlite3_column_text(stmt, c) else { return nil }
        return String(cString: p)
    }

    /// The column's text as bytes without making a String (valid until the next step); nil for NULL.
    func textBytes(_ c: Int32) -> UnsafeRawBufferPointer? {
        guard let p = sqlite3_column_text(stmt, c) else { return nil }
        return UnsafeRawBufferPointer(start: p, count: Int(sqlite3_column_bytes(stmt, c)))
    }

    /// Calls `body` with the column's bytes (valid only during the call).
    func withBlob<T>(_ c: Int32, _ body: (UnsafeRawBufferPointer) throws -> T) rethrows -> T {
        let p = sqlite3_column_blob(stmt, c)
        let n = Int(sqlite3_column_bytes(stmt, c))
        return try body(UnsafeRawBufferPointer(start: p, count: n))
    }
}

/// A stepped statement's current row for the shared rules (columns by `Int`).
struct StatementRow: ColumnReader {
    let s: Statement
    func isNull(_ col: Int) -> Bool { s.isNull(Int32(col)) }
    func int(_ col: Int) -> Int64 { s.int(Int32(col)) }
    func double(_ col: Int) -> Double { s.double(Int32(col)) }
    func text(_ col: Int) -> String? { s.text(Int32(col)) }
}

extension Statement {
    /// The current row for the shared rules.
    var row: StatementRow { StatementRow(s: self) }
}
