import Foundation
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite
@testable import OneMapPostgres
import Testing

/// The backends every contract test runs on. PostgreSQL needs a server: `scripts/test.sh`
/// starts a private cluster and sets `ONEMAP_TEST_POSTGRES_URL`; without it, the PostgreSQL
/// cases fail naming what is missing (they are never skipped).
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case spatialite, postgres

    var testDescription: String { rawValue }

    static var postgresURL: String? { ProcessInfo.processInfo.environment["ONEMAP_TEST_POSTGRES_URL"] }

    /// A new, empty database of this backend, removed when the returned handle goes.
    func fresh() throws -> FreshDatabase {
        switch self {
        case .spatialite:
            let path = NSTemporaryDirectory() + "onemap-contract-\(UUID().uuidString).sqlite"
            return FreshDatabase(store: try SpatiaLiteStore(path: path, create: true)) {
                for s in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: path + s) {
                    try FileManager.default.removeItem(atPath: path + s)
                }
            }
        case .postgres:
            guard let url = Self.postgresURL else {
                throw StoreError("ONEMAP_TEST_POSTGRES_URL is not set: run scripts/test.sh, or start scripts/pg_cluster.sh and export its URL")
            }
            let location = try PostgresLocation(url: url)
            // Each test gets a schema of its own in the shared test database.
            let schema = "contract_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
            return FreshDatabase(store: try PostgresStore(location: location, create: true, schema: schema, readers: 2)) {
                try PGConnection(location, schema: schema).exec("DROP SCHEMA \(schema) CASCADE")
            }
        }
    }
}

/// A database made for one test; `drop` removes it.
final class FreshDatabase {
    let store: any OneMapDatabase
    private let remove: () throws -> Void

    init(store: any OneMapDatabase, remove: @escaping () throws -> Void) {
        self.store = store; self.remove = remove
    }

    deinit {
        do { try remove() } catch { Issue.record("could not remove the test database: \(error)") }
    }
}

func rect(_ x: Double, _ y: Double, _ d: Double = 0.0002) -> Geometry {
    .polygon([[Position(x, y), Position(x + d, y), Position(x + d, y + d), Position(x, y + d), Position(x, y)]])
}

/// A small city: two county versions (one replaced the other), three buildings (one
/// demolished), seven people (one moved out) and a business.
enum SmallCity {
    static let county = AdminArea(code: "350404", level: .county, parentCode: "350400", name: "三元区",
                                  geometry: .multiPolygon([[[Position(117, 26), Position(118, 26), Position(118, 27), Position(117, 27), Position(117, 26)]]]),
                                  validFrom: "2021-05-01")
    static let old = AdminArea(code: "350402", level: .county, parentCode: "350400", name: "梅列区",
                               geometry: .multiPolygon([[[Position(117, 26), Position(117.5, 26), Position(117.5, 27), Position(117, 27), Position(117, 26)]]]),
                               validTo: "2021-05-01")

    static func load(into store: any OneMapDatabase) throws {
        try store.bulkLoad { w in
            try w.add(county)
            try w.add(old)
            try w.add(Building(entityCode: "B1", footprint: rect(117.2, 26.2), floors: 6, use: "residential", builtDate: "2001-03-04"))
            try w.add(Building(entityCode: "B2", footprint: rect(117.7, 26.7), floors: 2, use: "commercial", builtDate: "2010-01-01"))
            try w.add(Building(entityCode: "B3", footprint: rect(117.3, 26.3), floors: 1, use: "public", builtDate: "1970-01-01",
                               demolishedDate: "2005-06-01"))
            for i in 0..<5 {
                try w.add(PersonRecord(buildingCode: "B1", sex: i % 2 == 0 ? "M" : "F", birthYear: 1980 + i, householdID: "B1-H1",
                                       registration: .huji, movedIn: "2002-01-01", maskedIdentity: "350404********000\(i)"))
            }
            try w.add(PersonRecord(buildingCode: "B2", sex: "F", birthYear: 1990, householdID: "B2-H1", registration: .liudong,
                                   movedIn: "2012-01-01", maskedIdentity: "350404********0009"))
            try w.add(PersonRecord(buildingCode: "B2", sex: "M", birthYear: 1991, householdID: "B2-H1", registration: .liudong,
                                   movedIn: "2012-01-01", movedOut: "2019-01-01", maskedIdentity: "350404********0010"))
            try w.add(BusinessRecord(creditCode: "9144030071526726XG", name: "示例公司", industry: "I", employees: 30,
                                     registered: "2011-01-01", buildingCode: "B2"))
        }
    }
}
