import Foundation
import OneMapGeo
import OneMapStore

/// Bulk loads: COPY into the tables inside one transaction, then indexes, derived counts and the
/// centroid rule's memberships, as the SpatiaLite store does.
extension PostgresStore {
    public func bulkLoad(_ body: (any BulkWriter) throws -> Void) throws {
        try writeData { c in
            // Millions of rows: no per-row change log (the load marks one change that makes
            // statistics engines build anew).
            for table in StatisticsRowLog.watched.map(\.table) {
                for op in ["insert", "update", "delete"] { try c.exec("ALTER TABLE \(table) DISABLE TRIGGER \(table)_row_\(op)") }
            }
            let writer = try PGBulkWriter(connection: c)
            try body(writer)
            try writer.finish()
            // Buildings staged (a load into an empty store): written once, with their counts.
            if writer.stagedBuildings { try PGDerivedCounts.refresh(c, stagedBuildings: true) }
            for table in StatisticsRowLog.watched.map(\.table) {
                for op in ["insert", "update", "delete"] { try c.exec("ALTER TABLE \(table) ENABLE TRIGGER \(table)_row_\(op)") }
            }
            try c.exec("INSERT INTO statistics_row_changes(tbl, row_id) VALUES ('reset', 0)")
            try finishLoad(c, countsDone: writer.stagedBuildings)
        }
        try writers.with(timeLimited: false) { c in try c.exec("ANALYZE") }
        afterChange()
    }

    /// Inside a load's transaction: indexes and derived counts up to date, the change marked.
    func finishLoad(_ c: PGConnection, countsDone: Bool = false) throws {
        for sql in PostgresSchema.postLoadIndexes { try c.exec(sql) }
        if !countsDone { try PGDerivedCounts.refresh(c) }
        try Self.bumpGeneration(c)
        try c.query("UPDATE layers SET updated_at = $1", [.text(ISO8601DateFormatter().string(from: Date()))])
    }

    /// After a change committed: caches dropped.
    func afterChange() {
        dropCatalogCache()
        dropDerivedCaches()
    }
}

/// Streams a load's records into the tables with COPY, one table at a time (a record of another
/// table ends the current COPY). Ids are the next after the largest stored, as SQLite's row ids.
///
/// Into an empty store, buildings go to a staging table (`load_buildings`, temporary, no indexes)
/// and reach `buildings` once, with their counts and township (`PGDerivedCounts.refresh(c,
/// stagedBuildings: true)`). Copied in first and updated after, each building would be written
/// three times: the dead versions stay in the table's files (three times the heap and the index
/// entries: 14 GB of 20 at 20 million buildings).
final class PGBulkWriter: BulkWriter {
    private let c: PGConnection
    private var table: String?
    private var rows: [UInt8] = []
    private var row = PGCopyRow()
    private var nextID: [String: Int64] = [:]
    let stagedBuildings: Bool

    init(connection: PGConnection) throws {
        c = connection
        rows.reserveCapacity(1 << 22)
        stagedBuildings = try c.query("SELECT CASE WHEN EXISTS (SELECT 1 FROM buildings) THEN 0 ELSE 1 END").row(0).int(0) == 1
        if stagedBuildings {
            try c.exec("CREATE TEMP TABLE load_buildings (LIKE buildings INCLUDING DEFAULTS) ON COMMIT DROP")
        }
    }

    /// The columns a load copies, by table.
    static let columns = [
        "admin_areas": "id, code, level, parent_code, name, valid_from, valid_to, synthetic, geom",
        "buildings": "id, entity_code, valid_from, valid_to, floors, use, built_date, demolished_date, cx, cy, geom",
        "population": "id, building_code, sex, birth_year, household_id, registration, moved_in, moved_out, masked_identity, person_key, valid_from, valid_to",
        "businesses": "id, credit_code, name, industry, employees, registered, cancelled, building_code, valid_from, valid_to",
    ]

    /// Starts a row of `name` (flushing the rows of another table) and returns its id.
    private func begin(_ name: String) throws -> Int64 {
        if table != name {
            try flush()
            table = name
        }
        if nextID[name] == nil {
            nextID[name] = try c.query("SELECT coalesce(max(id), 0) + 1 FROM \(name)").row(0).int(0)
        }
        let id = nextID[name]!
        nextID[name] = id + 1
        row.int(id)
        return id
    }

    private func end() throws {
        rows.append(contentsOf: row.line())
        if rows.count >= 1 << 22 { try flush() }
    }

    /// Sends the rows gathered for the current table in one COPY.
    private func flush() throws {
        guard let table, !rows.isEmpty else { return }
        let data = rows
        rows.removeAll(keepingCapacity: true)
        let target = table == "buildings" && stagedBuildings ? "load_buildings" : table
        try c.copyIn("COPY \(target)(\(Self.columns[table]!)) FROM STDIN") { try $0.write(data) }
    }

    func finish() throws { try flush() }

    func add(_ a: AdminArea) throws {
        guard !a.geometry.polygons.isEmpty else { throw StoreError("admin area \(a.code) \(a.name): geometry is not polygonal") }
        _ = try begin("admin_areas")
        row.text(a.code); row.text(a.level.rawValue); row.text(a.parentCode); row.text(a.name)
        row.text(a.validFrom); row.text(a.validTo); row.int(a.synthetic ? 1 : 0)
        row.geometry(.multiPolygon(a.geometry.polygons))
        try end()
    }

    func add(_ b: Building) throws {
        guard case .polygon(let rings) = b.footprint, let outer = rings.first else {
            throw StoreError("building \(b.entityCode): footprint must be a Polygon")
        }
        let centroid = Planar.centroid(outer)
        _ = try begin("buildings")
        row.text(b.entityCode); row.text(b.validFrom); row.text(b.validTo); row.int(Int64(b.floors)); row.text(b.use)
        row.text(b.builtDate); row.text(b.demolishedDate); row.double(centroid.x); row.double(centroid.y)
        row.geometry(b.footprint)
        try end()
    }

    func add(_ p: PersonRecord) throws {
        _ = try begin("population")
        row.text(p.buildingCode); row.text(p.sex); row.int(Int64(p.birthYear)); row.text(p.householdID)
        row.text(p.registration.rawValue); row.text(p.movedIn); row.text(p.movedOut); row.text(p.maskedIdentity)
        row.text(p.personKey); row.text(p.movedIn); row.text(p.movedOut)
        try end()
    }

    func add(_ b: BusinessRecord) throws {
        guard CreditCode.isValid(b.creditCode) else {
            throw StoreError("business \(b.name): credit code \(b.creditCode) fails the GB 32100 check character")
        }
        _ = try begin("businesses")
        row.text(b.creditCode); row.text(b.name); row.text(b.industry); row.int(Int64(b.employees))
        row.text(b.registered); row.text(b.cancelled); row.text(b.buildingCode); row.text(b.registered); row.text(b.cancelled)
        try end()
    }
}
