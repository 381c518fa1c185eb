import Foundation
import OneMapStore
import OneMapSpatiaLite
@testable import OneMapPostgres
import Testing

/// A database written by a newer OneMap is refused, naming the version found and the one expected,
/// rather than read with the wrong assumptions.
@Suite struct SchemaVersionTests {
    @Test func aNewerSpatiaLiteDatabaseIsRefused() throws {
        let path = NSTemporaryDirectory() + "onemap-version-\(UUID().uuidString).sqlite"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        _ = try SpatiaLiteStore(path: path, create: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sqlite3")
        p.arguments = [path, "PRAGMA user_version = 99"]
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let e = try #require(throws: StoreError.self) { try SpatiaLiteStore(path: path) }
        #expect(e.message.contains("schema version 99") && e.message.contains("expects version 11"))
    }

    @Test func aNewerPostgreSQLDatabaseIsRefused() throws {
        let db = try Backend.postgres.fresh()
        let store = try #require(db.store as? PostgresStore)
        try PGConnection(store.location, schema: store.schema).exec("UPDATE schema_version SET version = 99")
        let e = try #require(throws: StoreError.self) { try PostgresStore(location: store.location, schema: store.schema) }
        #expect(e.message.contains("schema version 99") && e.message.contains("expects version \(PostgresSchema.version)"))
    }

    @Test func anUnreachableServerIsNamedByHostAndPort() throws {
        let e = try #require(throws: StoreError.self) { try PostgresStore(location: PostgresLocation(url: "postgresql://postgres@127.0.0.1:1/x")) }
        #expect(e.kind == .unavailable && e.message.hasPrefix("cannot reach PostgreSQL at 127.0.0.1:1"))
    }
}
