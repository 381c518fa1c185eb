import Foundation
@testable import OneMapStore
@testable import OneMapSpatiaLite
import Testing

/// Store errors say what kind of failure they are, so the server answers each the same way
/// whatever the backend: the caller's mistake, a fault (whose SQL stays in the log), or a
/// database that cannot answer now.
@Suite struct StoreErrorKindTests {
    static func connection() throws -> (SQLiteConnection, String) {
        let path = NSTemporaryDirectory() + "onemap-errors-\(UUID().uuidString).sqlite"
        return (try SQLiteConnection(path: path), path)
    }

    @Test func aBrokenConstraintIsTheCallersMistakeAndCarriesNoSQL() throws {
        let (db, path) = try Self.connection()
        defer { unlink(path) }
        try db.exec("CREATE TABLE departments (code TEXT PRIMARY KEY)")
        try db.exec("INSERT INTO departments VALUES ('SMGA')")
        let insert = try db.prepare("INSERT INTO departments VALUES (?)")
        try insert.bind(1, "SMGA")
        let error = try #require(throws: StoreError.self) { try insert.step() }
        #expect(error.kind == .invalid)
        #expect(error.message.contains("UNIQUE") && !error.message.contains("INSERT"))
    }

    @Test func aFaultInTheSQLIsInternal() throws {
        let (db, path) = try Self.connection()
        defer { unlink(path) }
        let error = try #require(throws: StoreError.self) { try db.prepare("SELECT nothing FROM nowhere") }
        #expect(error.kind == .internal)
        #expect(error.message.contains("nowhere"))  // for the log, never for a client
    }

    @Test func aDatabaseThatCannotBeOpenedIsUnavailable() throws {
        let error = try #require(throws: StoreError.self) { try SQLiteConnection(path: "/nonexistent-dir-\(UUID().uuidString)/x.sqlite") }
        #expect(error.kind == .unavailable)
    }

    @Test func aLockedDatabaseIsUnavailable() throws {
        let (a, path) = try Self.connection()
        defer { unlink(path); unlink(path + "-wal"); unlink(path + "-shm") }
        try a.exec("CREATE TABLE t (x INTEGER)")
        try a.exec("BEGIN EXCLUSIVE")
        let b = try SQLiteConnection(path: path)
        try b.exec("PRAGMA busy_timeout = 0")
        let error = try #require(throws: StoreError.self) { try b.exec("INSERT INTO t VALUES (1)") }
        #expect(error.kind == .unavailable)
        try a.exec("ROLLBACK")
    }
}
