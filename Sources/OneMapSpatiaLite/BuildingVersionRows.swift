import OneMapStore
import OneMapGeo

/// The buildings table for the version rules: typed building fields, derived counts left to
/// `DerivedCounts`.
struct BuildingVersionRows: VersionedRows {
    let day: String
    private let writer: SpatiaLiteBulkWriter
    private let currentStatement: Statement
    private let versions: VersionStatements

    init(connection c: SQLiteConnection, day: String) throws {
        self.day = day
        writer = try SpatiaLiteBulkWriter(connection: c)
        currentStatement = try c.prepare("""
            SELECT id, valid_from, floors, use, built_date, demolished_date, AsBinary(geom) FROM buildings
            WHERE entity_code = ? AND valid_to IS NULL
            """)
        versions = try VersionStatements(table: "buildings", id: "id", key: "entity_code", connection: c)
    }

    func row(for r: KeyedRecord) throws -> Building { try RecordRules.building(from: r, validFrom: day) }

    func current(_ key: String, comparedWith b: Building) throws -> (id: Int64, from: String, same: Bool)? {
        let s = currentStatement
        s.reset()
        defer { s.reset() }
        try s.bind([.text(key)])
        guard try s.step() else { return nil }
        let same = s.int(2) == Int64(b.floors) && s.text(3) == b.use && s.text(4) == b.builtDate
            && s.text(5) == b.demolishedDate && s.withBlob(6, { Array($0) }) == WKB.encode(b.footprint)
        return (s.int(0), s.text(1) ?? "", same)
    }

    func newestDay(_ key: String) throws -> String? { try versions.newestDay(key) }
    func close(_ id: Int64, on day: String) throws { try versions.close(id, on: day) }
    func remove(_ id: Int64) throws { try versions.remove(id) }
    func insert(_ b: Building) throws { try writer.add(b) }
    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] {
        try versions.openVersions(onOrBefore: day)
    }
}
