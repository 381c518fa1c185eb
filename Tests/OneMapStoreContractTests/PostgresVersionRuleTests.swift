import Foundation
import OneMapStore
@testable import OneMapPostgres
import Testing

/// PostgreSQL itself refuses overlapping versions of one entity, whatever writes them (the store's
/// version rules are the first line; the database's triggers the second): a statement that
/// inserts or reopens a version over another fails with an exclusion violation, and nothing of it
/// stays.
@Suite struct PostgresVersionRuleTests {
    private func loaded() throws -> (FreshDatabase, PGConnection) {
        let db = try Backend.postgres.fresh()
        try SmallCity.load(into: db.store)
        let store = try #require(db.store as? PostgresStore)
        return (db, try PGConnection(store.location, schema: store.schema))
    }

    @Test func anOverlappingBuildingVersionIsRefused() throws {
        let (db, c) = try loaded()
        defer { withExtendedLifetime(db) {} }
        let before = try c.query("SELECT count(*) FROM buildings").row(0).int(0)
        let e = try #require(throws: StoreError.self) {
            try c.exec("""
                INSERT INTO buildings(id, entity_code, valid_from, floors, use, built_date, cx, cy, geom)
                SELECT (SELECT max(id) + 1 FROM buildings), entity_code, '2020-01-01', floors, use, built_date, cx, cy, geom
                FROM buildings WHERE entity_code = 'B1'
                """)
        }
        #expect(e.message.contains("versions of B1 overlap in buildings") && e.kind == .invalid)
        #expect(try c.query("SELECT count(*) FROM buildings").row(0).int(0) == before)
    }

    @Test func aVersionAfterTheLastOneIsAccepted() throws {
        let (db, c) = try loaded()
        defer { withExtendedLifetime(db) {} }
        try c.exec("UPDATE buildings SET valid_to = '2030-01-01' WHERE entity_code = 'B1'")
        try c.exec("""
            INSERT INTO buildings(id, entity_code, valid_from, floors, use, built_date, cx, cy, geom)
            SELECT (SELECT max(id) + 1 FROM buildings), entity_code, '2030-01-01', floors + 1, use, built_date, cx, cy, geom
            FROM buildings WHERE entity_code = 'B1'
            """)
        #expect(try c.query("SELECT count(*) FROM buildings WHERE entity_code = 'B1'").row(0).int(0) == 2)
        // Reopening the closed version would overlap the new one.
        #expect(throws: StoreError.self) {
            try c.exec("UPDATE buildings SET valid_to = NULL WHERE entity_code = 'B1' AND valid_from < '2030-01-01'")
        }
    }

    @Test func anOverlappingBusinessVersionIsRefused() throws {
        let (db, c) = try loaded()
        defer { withExtendedLifetime(db) {} }
        let e = try #require(throws: StoreError.self) {
            try c.exec("""
                INSERT INTO businesses SELECT (SELECT max(id) + 1 FROM businesses), credit_code, name, industry, employees,
                  registered, cancelled, building_code, '1990-01-01', NULL FROM businesses LIMIT 1
                """)
        }
        #expect(e.message.contains("overlap in businesses"))
    }

    @Test func anOverlappingAreaVersionIsRefused() throws {
        let (db, c) = try loaded()
        defer { withExtendedLifetime(db) {} }
        #expect(throws: StoreError.self) {
            try c.exec("""
                INSERT INTO admin_areas(id, code, level, parent_code, name, valid_from, geom)
                SELECT (SELECT max(id) + 1 FROM admin_areas), code, level, parent_code, name, '2022-01-01', geom
                FROM admin_areas WHERE code = '350404'
                """)
        }
    }
}
