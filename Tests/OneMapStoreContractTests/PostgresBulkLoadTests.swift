import Foundation
import OneMapStore
@testable import OneMapPostgres
import Testing

/// A bulk load into an empty PostgreSQL store writes each building once, with its counts and
/// township: no dead versions are left in the table's files (at 20 million buildings, updating
/// them after the copy left two dead versions of each, 14 GB of a 20 GB table).
@Suite struct PostgresBulkLoadTests {
    @Test func aLoadIntoAnEmptyStoreWritesEachBuildingOnceWithItsCounts() throws {
        let db = try Backend.postgres.fresh()
        try SmallCity.load(into: db.store)
        let store = try #require(db.store as? PostgresStore)
        let c = try PGConnection(store.location, schema: store.schema)
        // Rows copied once sit at line pointers 1...n of the first page; an update would have
        // put their live versions after the dead ones.
        let r = try c.query("SELECT count(*), max((ctid::text::point)[1])::bigint, max((ctid::text::point)[0])::bigint FROM buildings").row(0)
        #expect(r.int(0) == 3)
        #expect(r.int(1) == 3 && r.int(2) == 0)
        // The counts and townships are there all the same (B1: five residents standing today, in 三元区).
        let b1 = try c.query("SELECT population, businesses FROM buildings WHERE entity_code = 'B1'").row(0)
        #expect(b1.int(0) == 5)
        #expect(try c.query("SELECT count(*) FROM building_areas").row(0).int(0) > 0)
        #expect(try c.query("SELECT population FROM admin_areas WHERE code = '350404'").row(0).int(0) == 6)
        withExtendedLifetime(db) {}
    }
}
