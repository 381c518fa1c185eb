import OneMapStore
import OneMapGeo

/// How a layer created by import is stored: table `layer_<id>` with `fid`, the entity key
/// (`entity_key`, shown under the layer's first field name), valid time, one column per further
/// catalog field (the file's own names, quoted) and a `geom` column in EPSG:4490 with an R*Tree.
struct UserLayerTable {
    let layer: LayerInfo

    init(_ layer: LayerInfo) { self.layer = layer }

    var table: String { "layer_\(layer.id)" }
    var spatialIndex: String { "idx_\(table)_geom" }
    /// Catalog fields after the key, which have columns of their own.
    var attributeFields: ArraySlice<FieldInfo> { layer.fields.dropFirst() }

    static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    private static func sqlType(_ t: FieldType) -> String {
        switch t {
        case .integer, .boolean: "INTEGER"
        case .number: "REAL"
        case .string, .date: "TEXT"
        }
    }

    /// The table with a plain BLOB `geom` column, registered as a geometry column by
    /// `registerGeometrySQL` while still empty; indexes and triggers come after the first load
    /// (`finishDDL`).
    var createDDL: [String] {
        let columns = attributeFields.map { "\(Self.quoted($0.name)) \(Self.sqlType($0.type))" }
        return [
            """
            CREATE TABLE \(table) (
              fid INTEGER PRIMARY KEY, entity_key TEXT NOT NULL, valid_from TEXT NOT NULL, valid_to TEXT\(columns.isEmpty ? "" : ",\n  " + columns.joined(separator: ", ")),
              geom BLOB NOT NULL,
              CHECK (valid_to IS NULL OR valid_from < valid_to))
            """,
        ]
    }

    /// Registers `geom` as a SpatiaLite geometry column (checks every row's type and SRID).
    var registerGeometrySQL: String {
        "SELECT RecoverGeometryColumn('\(table)', 'geom', 4490, '\(spatialiteType)', 'XY')"
    }

    var spatialiteType: String {
        switch layer.geometryType {
        case .point: "POINT"
        case .lineString: "LINESTRING"
        case .polygon: "POLYGON"
        case .multiPoint: "MULTIPOINT"
        case .multiLineString: "MULTILINESTRING"
        case .multiPolygon: "MULTIPOLYGON"
        case .geometry, .none: "GEOMETRY"
        }
    }

    /// The key index and the no-overlap triggers (made after a first load: faster than per row).
    var finishDDL: [String] {
        [
            "CREATE UNIQUE INDEX IF NOT EXISTS \(table)_key ON \(table)(entity_key, valid_from)",
            // Closed versions only (what change lists look for): a first load, all open, makes an
            // empty index instead of sorting every row.
            "CREATE INDEX IF NOT EXISTS \(table)_valid_to ON \(table)(valid_to) WHERE valid_to IS NOT NULL",
            """
            CREATE TRIGGER IF NOT EXISTS \(table)_versions_disjoint_insert BEFORE INSERT ON \(table)
            WHEN EXISTS (SELECT 1 FROM \(table) o WHERE o.entity_key = NEW.entity_key
                         AND (o.valid_to IS NULL OR o.valid_to > NEW.valid_from) AND (NEW.valid_to IS NULL OR NEW.valid_to > o.valid_from))
            BEGIN SELECT RAISE(ABORT, '\(layer.id) version overlaps another version of the same entity'); END
            """,
            """
            CREATE TRIGGER IF NOT EXISTS \(table)_versions_disjoint_update BEFORE UPDATE OF valid_from, valid_to, entity_key ON \(table)
            WHEN EXISTS (SELECT 1 FROM \(table) o WHERE o.entity_key = NEW.entity_key AND o.fid <> NEW.fid
                         AND (o.valid_to IS NULL OR o.valid_to > NEW.valid_from) AND (NEW.valid_to IS NULL OR NEW.valid_to > o.valid_from))
            BEGIN SELECT RAISE(ABORT, '\(layer.id) version overlaps another version of the same entity'); END
            """,
        ]
    }

    /// The attribute columns in catalog order (after the key), quoted.
    var attributeColumns: [String] { attributeFields.map { Self.quoted($0.name) } }

    var insertSQL: String {
        let cols = (["entity_key", "valid_from"] + attributeColumns + ["geom"]).joined(separator: ", ")
        let marks = Array(repeating: "?", count: 3 + attributeFields.count).joined(separator: ",")
        return "INSERT INTO \(table)(\(cols)) VALUES (\(marks))"
    }
}

/// A converted record of a user layer: attribute values in column order and the geometry BLOB.
struct UserLayerRow {
    let key: String
    let values: [SQLValue]
    let blob: [UInt8]
    let box: BBox
}

/// The row ids and boxes inserted by one import, for building the spatial index without reading
/// the rows back.
final class InsertedBoxes {
    var entries: [RTreeBulkLoader.Entry] = []
    /// Off once a load turns out larger than one chunk: its index is then rebuilt from the table,
    /// so that the boxes (24 B a row) are not held beside the rest of the import.
    var collecting = true

    /// The entries, no longer held here (the index builder sorts them without a copy).
    func take() -> [RTreeBulkLoader.Entry] {
        defer { entries = [] }
        return entries
    }
}

/// A user layer table for the version rules.
struct UserLayerVersionRows: VersionedRows {
    let table: UserLayerTable
    let day: String
    private let insertStatement, currentStatement: Statement
    private let versions: VersionStatements
    let inserted = InsertedBoxes()

    init(table: UserLayerTable, connection c: SQLiteConnection, day: String) throws {
        self.table = table; self.day = day
        let t = table.table
        insertStatement = try c.prepare(table.insertSQL)
        let cols = table.attributeColumns.isEmpty ? "" : ", " + table.attributeColumns.joined(separator: ", ")
        currentStatement = try c.prepare("SELECT fid, valid_from, geom\(cols) FROM \(t) WHERE entity_key = ? AND valid_to IS NULL")
        versions = try VersionStatements(table: t, id: "fid", key: "entity_key", connection: c)
    }

    func row(for r: KeyedRecord) throws -> UserLayerRow {
        let geometry = try RecordRules.fitted(r.geometry, to: table.layer)
        let values = try table.attributeFields.map { f in try LayerSchema.sqlValue(r.values[f.name], as: f.type, field: f.name) }
        return UserLayerRow(key: r.key, values: values, blob: SpatiaLiteBlob.encode(geometry), box: geometry.bbox ?? BBox(minX: 0, minY: 0, maxX: 0, maxY: 0))
    }

    func current(_ key: String, comparedWith row: UserLayerRow) throws -> (id: Int64, from: String, same: Bool)? {
        let s = currentStatement
        s.reset()
        defer { s.reset() }
        try s.bind([.text(key)])
        guard try s.step() else { return nil }
        let same = s.withBlob(2) { $0.elementsEqual(row.blob) } && s.row.holds(row.values, from: 3)
        return (s.int(0), s.text(1) ?? "", same)
    }

    func newestDay(_ key: String) throws -> String? { try versions.newestDay(key) }
    func close(_ id: Int64, on day: String) throws { try versions.close(id, on: day) }
    func remove(_ id: Int64) throws { try versions.remove(id) }
    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] {
        try versions.openVersions(onOrBefore: day)
    }

    func insert(_ row: UserLayerRow) throws {
        let s = insertStatement
        defer { s.reset() }
        try s.bind(1, .text(row.key))
        try s.bind(2, .text(day))
        for (i, v) in row.values.enumerated() { try s.bind(3 + i, v) }
        try s.bind(3 + row.values.count, .blob(row.blob))
        try s.step()
        if inserted.collecting { inserted.entries.append(RTreeBulkLoader.Entry(id: s.connection.lastInsertRowID, box: row.box)) }
    }
}
