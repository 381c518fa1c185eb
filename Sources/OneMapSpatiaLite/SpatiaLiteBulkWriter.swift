import OneMapStore
import OneMapGeo

/// Inserts records with prepared statements inside the bulk load's transaction.
final class SpatiaLiteBulkWriter: BulkWriter {
    private let area: Statement
    private let building: Statement
    private let person: Statement
    private let business: Statement

    init(connection c: SQLiteConnection) throws {
        area = try c.prepare("""
            INSERT INTO admin_areas(code, level, parent_code, name, valid_from, valid_to, synthetic, geom)
            VALUES (?,?,?,?,?,?,?, CastToMultiPolygon(GeomFromWKB(?, 4490)))
            """)
        building = try c.prepare("""
            INSERT INTO buildings(entity_code, valid_from, valid_to, floors, use, built_date, demolished_date, cx, cy, geom)
            VALUES (?,?,?,?,?,?,?,?,?, GeomFromWKB(?, 4490))
            """)
        person = try c.prepare("""
            INSERT INTO population(building_code, sex, birth_year, household_id, registration, moved_in, moved_out, masked_identity,
                                   person_key, valid_from, valid_to)
            VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?6,?7)
            """)
        business = try c.prepare("""
            INSERT INTO businesses(credit_code, name, industry, employees, registered, cancelled, building_code, valid_from, valid_to)
            VALUES (?1,?2,?3,?4,?5,?6,?7,?5,?6)
            """)
    }

    func add(_ a: AdminArea) throws {
        guard !a.geometry.polygons.isEmpty else { throw StoreError("admin area \(a.code) \(a.name): geometry is not polygonal") }
        try area.run([.text(a.code), .text(a.level.rawValue), a.parentCode.map { .text($0) } ?? .null, .text(a.name),
                      a.validFrom.map { .text($0) } ?? .null, a.validTo.map { .text($0) } ?? .null, .int(a.synthetic ? 1 : 0),
                      .blob(WKB.encode(.multiPolygon(a.geometry.polygons)))])
    }

    func add(_ b: Building) throws {
        guard case .polygon(let rings) = b.footprint, let outer = rings.first else {
            throw StoreError("building \(b.entityCode): footprint must be a Polygon")
        }
        let c = Planar.centroid(outer)
        try building.run([.text(b.entityCode), .text(b.validFrom), b.validTo.map { .text($0) } ?? .null, .int(Int64(b.floors)), .text(b.use), .text(b.builtDate),
                          b.demolishedDate.map { .text($0) } ?? .null, .double(c.x), .double(c.y),
                          .blob(WKB.encode(b.footprint))])
    }

    func add(_ p: PersonRecord) throws {
        try person.run([.text(p.buildingCode), .text(p.sex), .int(Int64(p.birthYear)), .text(p.householdID),
                        .text(p.registration.rawValue), .text(p.movedIn), p.movedOut.map { .text($0) } ?? .null,
                        .text(p.maskedIdentity), p.personKey.map { .text($0) } ?? .null])
    }

    func add(_ b: BusinessRecord) throws {
        guard CreditCode.isValid(b.creditCode) else {
            throw StoreError("business \(b.name): credit code \(b.creditCode) fails the GB 32100 check character")
        }
        try business.run([.text(b.creditCode), .text(b.name), .text(b.industry), .int(Int64(b.employees)),
                          .text(b.registered), b.cancelled.map { .text($0) } ?? .null, .text(b.buildingCode)])
    }
}
