import CLibPQ
import Foundation
import OneMapStore

/// One PostgreSQL connection (libpq). Owned by one thread at a time (a pool hands it out); closed
/// in `deinit`. Values are always parameters, never formatted into SQL; results come in binary
/// and are read by column type (`PGResult`).
final class PGConnection {
    private let conn: OpaquePointer
    let location: PostgresLocation
    /// Named prepared statements of this connection, by SQL text.
    private var prepared: [String: String] = [:]
    /// The `statement_timeout` in force on this connection, milliseconds (0: none).
    private var timeoutMillis = 0

    /// `schema`: where OneMap's tables are (`onemap`; another name while a database is built aside).
    init(_ location: PostgresLocation, schema: String = "onemap") throws {
        self.location = location
        guard let c = PQconnectdb(location.url) else {
            throw StoreError("cannot reach PostgreSQL at \(location.host):\(location.port): out of memory", kind: .unavailable)
        }
        conn = c  // from here on, deinit closes it (also when init throws)
        guard PQstatus(c) == CONNECTION_OK else {
            let why = Self.firstLine(String(cString: PQerrorMessage(c)))
            throw StoreError("cannot reach PostgreSQL at \(location.host):\(location.port) (database \(location.database)): \(why)", kind: .unavailable)
        }
        // Replies in UTC and ISO dates whatever the server's defaults; notices are not errors.
        // client_connection_check_interval: when this process dies (kill -9 of an import), the
        // server notices within a second even in the middle of a long statement, rolls back and
        // frees the write lock, instead of finding out only when it next writes to the socket.
        try exec("SET client_min_messages = warning; SET TimeZone = 'UTC'; SET DateStyle = 'ISO'; SET search_path = \(schema), public; SET client_connection_check_interval = 1000")
    }

    deinit { PQfinish(conn) }

    /// The connection was lost (server restarted, network cut): the pool replaces it.
    var isBroken: Bool { PQstatus(conn) != CONNECTION_OK }

    /// Reads what the server sent while the connection sat idle (without waiting): a server that
    /// ended the session (a restart, `pg_terminate_backend`) has said so and closed the socket,
    /// and the connection then reads as broken before it is lent, not after a request failed on it.
    var isAlive: Bool { PQconsumeInput(conn) == 1 && !isBroken }

    /// Outside any transaction, with nothing left to read: safe to lend again.
    var isIdle: Bool { PQtransactionStatus(conn) == PQTRANS_IDLE }

    /// Runs one or more statements without parameters or results.
    func exec(_ sql: String) throws {
        let r = PQexec(conn, sql)
        defer { PQclear(r) }
        try check(r, sql: sql)
    }

    /// Runs one statement and returns all its rows. `prepare`: keep the plan on this connection
    /// (statements run often: tile and page queries).
    @discardableResult
    func query(_ sql: String, _ params: [SQLValue] = [], prepare: Bool = false) throws -> PGResult {
        let r = try send(sql, params, prepare: prepare, wait: true)
        let result = PGResult(r!)
        try check(result.handle, sql: sql)
        return result
    }

    /// Runs one statement and hands its rows to `body` one at a time as they arrive (libpq's
    /// single-row mode): a page of a million features is never held whole.
    func stream(_ sql: String, _ params: [SQLValue] = [], prepare: Bool = false, _ body: (PGRow) throws -> Void) throws {
        _ = try send(sql, params, prepare: prepare, wait: false)
        guard PQsetSingleRowMode(conn) == 1 else { throw StoreError("cannot stream rows: \(errorMessage())", kind: .internal) }
        var failure: Error?
        while let r = PQgetResult(conn) {
            let result = PGResult(r)
            if failure != nil { continue }  // drain what the server still sends
            switch PQresultStatus(r) {
            case PGRES_SINGLE_TUPLE:
                do { try body(PGRow(result: result, row: 0)) } catch {
                    failure = error
                    // Stop the server's work; the rest of the rows are read and dropped.
                    if let cancel = PQgetCancel(conn) {
                        var buffer = [CChar](repeating: 0, count: 256)
                        _ = PQcancel(cancel, &buffer, 256)
                        PQfreeCancel(cancel)
                    }
                }
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK: break
            default:
                do { try check(r, sql: sql) } catch { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// Sends a statement with its parameters; waits for the whole result (`wait`) or leaves it to
    /// be read row by row. Numbers and text go as text (the server parses them for the type the
    /// statement gives them: a type sent in binary would have to match it byte for byte), typed
    /// int8, float8 or text unless NULL (its type inferred: write a cast where nothing else says
    /// it); blobs go in binary as bytea. Results come in binary.
    private func send(_ sql: String, _ params: [SQLValue], prepare: Bool, wait: Bool) throws -> OpaquePointer? {
        let n = Int32(params.count)
        var types = [Oid](), lengths = [Int32](), formats = [Int32](), offsets = [Int?]()
        // All values in one buffer (one byte more, so an empty value still has an address: a null
        // pointer would mean SQL NULL).
        var bytes: [UInt8] = [0]
        for p in params {
            let start = bytes.count
            var format: Int32 = 0
            switch p {
            case .null: types.append(0); offsets.append(nil); lengths.append(0); formats.append(0); continue
            case .int(let v): types.append(20); bytes.append(contentsOf: String(v).utf8)
            case .double(let v): types.append(701); bytes.append(contentsOf: (v.isFinite ? "\(v)" : v.isNaN ? "NaN" : v > 0 ? "Infinity" : "-Infinity").utf8)
            case .text(let t): types.append(25); bytes.append(contentsOf: t.utf8)
            case .blob(let b): types.append(17); bytes.append(contentsOf: b); format = 1
            }
            bytes.append(0)  // text values are read as C strings
            offsets.append(start)
            lengths.append(Int32(bytes.count - start - 1))
            formats.append(format)
        }
        let name = try prepare ? preparedName(sql, types) : nil
        return try bytes.withUnsafeBufferPointer { buffer -> OpaquePointer? in
            let base = UnsafeRawPointer(buffer.baseAddress!)
            let values: [UnsafePointer<CChar>?] = offsets.map { $0.map { (base + $0).assumingMemoryBound(to: CChar.self) } }
            if wait {
                if let name { return PQexecPrepared(conn, name, n, values, lengths, formats, 1) }
                return PQexecParams(conn, sql, n, types, values, lengths, formats, 1)
            }
            let ok = name.map { PQsendQueryPrepared(conn, $0, n, values, lengths, formats, 1) }
                ?? PQsendQueryParams(conn, sql, n, types, values, lengths, formats, 1)
            guard ok == 1 else { throw classify(nil, sql: sql) }
            return nil
        }
    }

    /// The name of `sql` prepared on this connection (prepared now the first time).
    private func preparedName(_ sql: String, _ types: [Oid]) throws -> String {
        if let known = prepared[sql] { return known }
        let name = "s\(prepared.count + 1)"
        let r = PQprepare(conn, name, sql, Int32(types.count), types)
        defer { PQclear(r) }
        try check(r, sql: sql)
        prepared[sql] = name
        return name
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T { try inTransaction("BEGIN", body) }

    /// Runs `body` in one read-only transaction that sees one snapshot throughout (REPEATABLE
    /// READ): several queries read the database as of one moment.
    func snapshot<T>(_ body: () throws -> T) throws -> T { try inTransaction("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", body) }

    private func inTransaction<T>(_ begin: String, _ body: () throws -> T) throws -> T {
        try exec(begin)
        do {
            let result = try body()
            try exec("COMMIT")
            return result
        } catch {
            if !isBroken { try exec("ROLLBACK") }
            throw error
        }
    }

    /// `statement_timeout` for the next statements (0: none); sent only when it changes.
    func setTimeout(seconds: Double) throws {
        let ms = seconds > 0 ? max(1, Int(seconds * 1000)) : 0
        guard ms != timeoutMillis else { return }
        try exec("SET statement_timeout = \(ms)")
        timeoutMillis = ms
    }

    /// `COPY ... FROM STDIN` with `body` writing the data (binary COPY when the SQL says so).
    func copyIn(_ sql: String, _ body: (PGCopyWriter) throws -> Void) throws {
        let r = PQexec(conn, sql)
        defer { PQclear(r) }
        guard PQresultStatus(r) == PGRES_COPY_IN else { try check(r, sql: sql); throw StoreError("COPY did not start", kind: .internal) }
        let writer = PGCopyWriter(conn: conn)
        do {
            try body(writer)
            try writer.flush()
        } catch {
            _ = PQputCopyEnd(conn, "aborted by the client")
            while let r = PQgetResult(conn) { PQclear(r) }
            throw error
        }
        guard PQputCopyEnd(conn, nil) == 1 else { throw classify(nil, sql: sql) }
        var failure: Error?
        while let r = PQgetResult(conn) {
            do { try check(r, sql: sql) } catch { failure = failure ?? error }
            PQclear(r)
        }
        if let failure { throw failure }
    }

    private func errorMessage() -> String { Self.firstLine(String(cString: PQerrorMessage(conn))) }

    static func firstLine(_ s: String) -> String {
        String(s.split(whereSeparator: \.isNewline).first ?? "").trimmingCharacters(in: .whitespaces)
    }

    private func check(_ r: OpaquePointer?, sql: String) throws {
        switch r.map(PQresultStatus) {
        case PGRES_COMMAND_OK?, PGRES_TUPLES_OK?, PGRES_SINGLE_TUPLE?, PGRES_COPY_IN?: return
        default: throw classify(r, sql: sql)
        }
    }

    /// What a failure means for the caller, from its SQLSTATE: the data broke a rule (invalid,
    /// without the SQL), the server cannot answer now (unavailable: a lost connection, a shutdown,
    /// a deadlock, no resources), the time limit stopped it, or a fault (internal, SQL kept for the log).
    private func classify(_ r: OpaquePointer?, sql: String) -> StoreError {
        let state = r.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "C"))) }.map { String(cString: $0) } ?? ""
        let message = r.flatMap { PQresultErrorField($0, Int32(UInt8(ascii: "M"))) }.map { String(cString: $0) } ?? errorMessage()
        if isBroken || state.hasPrefix("08") || ["57P01", "57P02", "57P03"].contains(state) {
            return StoreError("lost the connection to PostgreSQL at \(location.host):\(location.port): \(message)", kind: .unavailable)
        }
        switch state {
        case "57014": return StoreError("the query ran past its time limit and was stopped", kind: .timedOut)
        case "40001", "40P01", "55P03": return StoreError(message, kind: .unavailable)
        case _ where state.hasPrefix("53"): return StoreError(message, kind: .unavailable)
        case _ where state.hasPrefix("22") || state.hasPrefix("23") || state == "P0001": return StoreError(message, kind: .invalid)
        default: return StoreError("\(message) [\(state)] in: \(sql.prefix(300))", kind: .internal)
        }
    }
}

/// Writes COPY data, buffered.
final class PGCopyWriter {
    private let conn: OpaquePointer
    private var buffer: [UInt8] = []

    fileprivate init(conn: OpaquePointer) {
        self.conn = conn
        buffer.reserveCapacity(1 << 20)
    }

    func write(_ bytes: [UInt8]) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func write<S: Sequence>(contentsOf bytes: S) throws where S.Element == UInt8 {
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        guard !buffer.isEmpty else { return }
        let ok = buffer.withUnsafeBufferPointer { p in
            p.baseAddress!.withMemoryRebound(to: CChar.self, capacity: p.count) { PQputCopyData(conn, $0, Int32(p.count)) }
        }
        guard ok == 1 else { throw StoreError("COPY failed: \(String(cString: PQerrorMessage(conn)))", kind: .unavailable) }
        buffer.removeAll(keepingCapacity: true)
    }
}
