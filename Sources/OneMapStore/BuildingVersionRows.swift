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

    func row(for r: KeyedRecord) throws -> Building { try Self.building(from: r, validFrom: day) }

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

    /// The building a record describes; a StoreError names a missing or mistyped field.
    static func building(from r: KeyedRecord, validFrom: String) throws -> Building {
        func string(_ name: String, required: Bool) throws -> String? {
            switch r.values[name] {
            case .string(let s)? where !s.isEmpty: return s
            case nil, .null?, .string?: if required { throw StoreError("field '\(name)' is missing") } else { return nil }
            default: throw StoreError("field '\(name)' must be text")
            }
        }
        func date(_ name: String, required: Bool) throws -> String? {
            guard let s = try string(name, required: required) else { return nil }
            guard ISODate.isValid(s) else { throw StoreError("field '\(name)' value '\(s)' is not a YYYY-MM-DD date") }
            return s
        }
        let floors: Int
        switch r.values["floors"] {
        case .int(let n)? where n >= 0 && n < 500: floors = Int(n)
        case .double(let d)? where d == d.rounded() && d >= 0 && d < 500: floors = Int(d)
        case .string(let s)? where Int(s.trimmingCharacters(in: .whitespaces)).map({ (0..<500).contains($0) }) == true:
            floors = Int(s.trimmingCharacters(in: .whitespaces))!
        case nil, .null?: throw StoreError("field 'floors' is missing")
        default: throw StoreError("field 'floors' must be a whole number of floors (0-499)")
        }
        guard case .polygon = r.geometry else {
            throw StoreError("geometry is a \(r.geometry.typeName); buildings need a Polygon footprint")
        }
        let demolished = try date("demolished_date", required: false)
        if let demolished, demolished <= validFrom {
            throw StoreError("demolished on \(demolished), before the valid-from day \(validFrom): leave it out of the push (replace mode closes it)")
        }
        var b = Building(entityCode: r.key, footprint: r.geometry, floors: floors, use: try string("use", required: true)!,
                         builtDate: try date("built_date", required: true)!, demolishedDate: demolished, validFrom: validFrom)
        b.validTo = nil  // an imported version stays valid until a later import changes or closes it
        return b
    }
}
