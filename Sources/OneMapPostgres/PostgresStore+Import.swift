import Foundation
import OneMapGeo
import OneMapStore

/// Versioned imports into buildings and department layers: the model's version rules
/// (`VersionApplier`) over PostgreSQL tables, in one transaction under the data-write lock (two
/// imports never interleave their versions; the second waits for the first).
extension PostgresStore {
    public func applyVersions(layer: LayerInfo, stream: RecordStream, mode: ImportMode,
                              validFrom day: String, skipBad: Bool, progress: (Int) -> Void = { _ in }) throws -> VersionSummary {
        let existing = try self.layer(id: layer.id)
        let target = try ImportChecks.versionTarget(layer, existing: existing, day: day)
        let chunks = ImportedChunks(stream: stream, target: target, isNew: existing == nil)
        let summary = try writeData { c -> VersionSummary in
            var summary: VersionSummary
            let table: String
            if target.id == "buildings" {
                table = "buildings"
                let rows = try PGBuildingVersionRows(connection: c, day: day)
                var application = VersionApplication(mode: mode, day: day, into: rows, tableIsEmpty: false,
                                                     expectedCount: stream.expectedCount, box: nil)
                try chunks.forEach { try application.apply($0, progress: progress) }
                summary = try application.finish()
                try rows.finish()
            } else {
                let t = PGUserLayerTable(target)
                table = t.table
                if existing == nil { try Self.createUserLayer(target, on: c) }
                let rows = try PGUserLayerVersionRows(table: t, connection: c, day: day)
                var application = VersionApplication(mode: mode, day: day, into: rows, tableIsEmpty: existing == nil,
                                                     expectedCount: stream.expectedCount, box: stream.box)
                if existing == nil {
                    // A new table has nothing to look up: its rows stream into one COPY as they
                    // are made (the server parses while this process converts), and its indexes
                    // are built after them.
                    try c.copyIn(rows.copySQL + " (FORMAT binary)") { sink in
                        try sink.write(PGBinaryCopyRow.header)
                        rows.sink = sink
                        defer { rows.sink = nil }
                        try chunks.forEach { try application.apply($0, progress: progress) }
                        try sink.write(PGBinaryCopyRow.trailer)
                    }
                    summary = try application.finish()
                    for sql in t.indexDDL { try c.exec(sql) }
                } else {
                    try chunks.forEach { try application.apply($0, progress: progress) }
                    summary = try application.finish()
                    try rows.finish()
                }
            }
            StageTimer.mark("versions written")
            summary.rejected = (chunks.rejected + summary.rejected).sorted { $0.row < $1.row }
            if !summary.rejected.isEmpty && !skipBad {
                throw ImportRefused(rejected: summary.rejected,
                                    reason: "\(summary.rejected.count) bad row(s); nothing was imported (use --skip-bad to import the rest)")
            }
            if target.id == "buildings" {
                try finishLoad(c)
            } else {
                try Self.bumpGeneration(c)
                try c.query("UPDATE layers SET updated_at = $1 WHERE id = $2", [.text(ISO8601DateFormatter().string(from: Date())), .text(target.id)])
            }
            if summary.inserted + summary.updated + summary.closed > 0 {
                let given = chunks.box
                if existing == nil {
                    // Every row of a new layer is this import's: the records' box is the change.
                    try Self.recordChange(c, layer: target.id, fromDay: day, box: given)
                } else {
                    try Self.recordVersions(c, layer: target.id, table: table, day: day, extra: given)
                }
                if target.id == "buildings" {
                    // Area populations follow building centroids: the areas' tiles from that day too.
                    for l in [CoreLayers.adminAreas.id, CoreLayers.adminLabels.id] { try Self.recordChange(c, layer: l, fromDay: day, box: nil) }
                }
            }
            StageTimer.mark("change extents")
            return summary
        }
        StageTimer.mark("commit")
        try writers.with(timeLimited: false) { c in try c.exec("ANALYZE \"\(target.id == "buildings" ? "buildings" : PGUserLayerTable(target).table)\"") }
        StageTimer.mark("analyze")
        afterChange()
        return summary
    }

    /// A department layer's table and catalog entry, inside the import's transaction (a refused
    /// import leaves no empty layer behind).
    static func createUserLayer(_ layer: LayerInfo, on c: PGConnection) throws {
        let known = try c.query("SELECT code FROM departments ORDER BY code").all.compactMap { $0.text(0) }
        guard known.contains(layer.ownerDepartment) else {
            throw StoreError("unknown owner department '\(layer.ownerDepartment)'; departments: \(known.joined(separator: ", "))")
        }
        // The bare table; the import adds the indexes after the rows.
        try c.exec(PGUserLayerTable(layer).tableDDL)
        try c.query("""
            INSERT INTO layers(id, title, description, geometry_type, fields_json, owner_department, share_class, min_zoom, max_zoom, updated_at)
            VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)
            """, [.text(layer.id), .text(layer.title), .text(layer.description), .text(layer.geometryType.rawValue),
                  .text(try LayerInfo.catalogJSON(layer.fields)),
                  .text(layer.ownerDepartment), .text(layer.shareClass.rawValue), .int(Int64(layer.minZoom)),
                  .int(Int64(layer.maxZoom)), .text(ISO8601DateFormatter().string(from: Date()))])
    }
}

extension PGUserLayerTable {
    var postgisType: String {
        switch layer.geometryType {
        case .point: "Point"
        case .lineString: "LineString"
        case .polygon: "Polygon"
        case .multiPoint: "MultiPoint"
        case .multiLineString: "MultiLineString"
        case .multiPolygon: "MultiPolygon"
        case .geometry, .none: "Geometry"
        }
    }

    /// The bare table (text compared byte by byte, as in SQLite): a new layer's first rows go in
    /// before its indexes and the rule that versions of one entity never overlap (`indexDDL`).
    var tableDDL: String {
        let columns = attributeFields.map { "\(Self.quoted($0.name)) \(Self.sqlType($0.type))\($0.type == .string || $0.type == .date ? " COLLATE \"C\"" : "")" }
        return """
            CREATE TABLE \(table) (
              fid bigint PRIMARY KEY, entity_key text COLLATE "C" NOT NULL, valid_from text COLLATE "C" NOT NULL, valid_to text COLLATE "C"\(columns.isEmpty ? "" : ",\n  " + columns.joined(separator: ", ")),
              geom geometry(\(postgisType), 4490) NOT NULL,
              CHECK (valid_to IS NULL OR valid_from < valid_to))
            """
    }

    /// Indexes and the rule that versions of one entity never overlap, added after a new
    /// layer's first rows (an index built in one pass costs less than one kept up row by row).
    var indexDDL: [String] {
        [
            "ALTER TABLE \(table) ADD UNIQUE (entity_key, valid_from)",
            "CREATE INDEX \(table)_geom ON \(table) USING gist (geom)",
            "CREATE INDEX \(table)_valid_to ON \(table)(valid_to) WHERE valid_to IS NOT NULL",
        ] + PostgresSchema.disjointVersions(table: table, key: "entity_key", id: "fid")
    }
}

/// The statements every versioned table needs beyond its own insert and comparison.
struct PGVersionStatements {
    let c: PGConnection
    let table, id, key: String

    func newestDay(_ k: String) throws -> String? {
        try c.query("SELECT max(coalesce(valid_to, valid_from)) FROM \(table) WHERE \(key) = $1", [.text(k)], prepare: true).row(0).text(0)
    }

    func close(_ rowID: Int64, on day: String) throws {
        try c.query("UPDATE \(table) SET valid_to = $1 WHERE \(id) = $2", [.text(day), .int(rowID)], prepare: true)
    }

    func remove(_ rowID: Int64) throws {
        try c.query("DELETE FROM \(table) WHERE \(id) = $1", [.int(rowID)], prepare: true)
    }

    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] {
        try c.query("SELECT \(id), \(key), valid_from FROM \(table) WHERE valid_to IS NULL AND valid_from <= $1 AND \(key) IS NOT NULL ORDER BY \(id)",
                    [.text(day)]).all.map { ($0.int(0), $0.text(1) ?? "", $0.text(2) ?? "") }
    }
}

/// The buildings table for the version rules (new versions go in by COPY at the end).
final class PGBuildingVersionRows: VersionedRows {
    let day: String
    private let c: PGConnection
    private let writer: PGBulkWriter
    private let versions: PGVersionStatements

    init(connection: PGConnection, day: String) throws {
        c = connection
        self.day = day
        writer = try PGBulkWriter(connection: connection)
        versions = PGVersionStatements(c: connection, table: "buildings", id: "id", key: "entity_code")
    }

    func row(for r: KeyedRecord) throws -> Building { try RecordRules.building(from: r, validFrom: day) }

    func current(_ key: String, comparedWith b: Building) throws -> (id: Int64, from: String, same: Bool)? {
        let r = try c.query("""
            SELECT id, valid_from, floors, use, built_date, demolished_date, ST_AsBinary(geom, 'NDR') FROM buildings
            WHERE entity_code = $1 AND valid_to IS NULL
            """, [.text(key)], prepare: true)
        guard r.rows > 0 else { return nil }
        let s = r.row(0)
        let same = s.int(2) == Int64(b.floors) && s.text(3) == b.use && s.text(4) == b.builtDate
            && s.text(5) == b.demolishedDate && s.bytes(6) == WKB.encode(b.footprint)
        return (s.int(0), s.text(1) ?? "", same)
    }

    func newestDay(_ key: String) throws -> String? { try versions.newestDay(key) }
    func close(_ id: Int64, on day: String) throws { try versions.close(id, on: day) }
    func remove(_ id: Int64) throws { try versions.remove(id) }
    func insert(_ b: Building) throws { try writer.add(b) }
    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] { try versions.openVersions(onOrBefore: day) }
    func finish() throws { try writer.finish() }
}

/// A converted record of a department layer: attribute values in column order and the geometry.
struct PGUserLayerRow {
    let key: String
    let values: [SQLValue]
    let geometry: Geometry
}

/// A department layer's table for the version rules (new versions go in by COPY at the end).
final class PGUserLayerVersionRows: VersionedRows {
    let table: PGUserLayerTable
    let day: String
    private let c: PGConnection
    private let versions: PGVersionStatements
    private var nextID: Int64
    private var rows: [UInt8] = []
    private var line = PGCopyRow()

    init(table: PGUserLayerTable, connection: PGConnection, day: String) throws {
        self.table = table; self.day = day; c = connection
        versions = PGVersionStatements(c: connection, table: table.table, id: "fid", key: "entity_key")
        nextID = try connection.query("SELECT coalesce(max(fid), 0) + 1 FROM \(table.table)").row(0).int(0)
    }

    func row(for r: KeyedRecord) throws -> PGUserLayerRow {
        let geometry = try RecordRules.fitted(r.geometry, to: table.layer)
        let values = try table.attributeFields.map { f in try LayerSchema.sqlValue(r.values[f.name], as: f.type, field: f.name) }
        return PGUserLayerRow(key: r.key, values: values, geometry: geometry)
    }

    func current(_ key: String, comparedWith row: PGUserLayerRow) throws -> (id: Int64, from: String, same: Bool)? {
        let cols = table.attributeColumns.isEmpty ? "" : ", " + table.attributeColumns.joined(separator: ", ")
        let r = try c.query("SELECT fid, valid_from, ST_AsBinary(geom, 'NDR')\(cols) FROM \(table.table) WHERE entity_key = $1 AND valid_to IS NULL",
                            [.text(key)], prepare: true)
        guard r.rows > 0 else { return nil }
        let s = r.row(0)
        let same = s.bytes(2) == WKB.encode(row.geometry) && s.holds(row.values, from: 3)
        return (s.int(0), s.text(1) ?? "", same)
    }

    func newestDay(_ key: String) throws -> String? { try versions.newestDay(key) }
    func close(_ id: Int64, on day: String) throws { try versions.close(id, on: day) }
    func remove(_ id: Int64) throws { try versions.remove(id) }
    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] { try versions.openVersions(onOrBefore: day) }

    /// An open binary COPY (`copySQL`) that new rows go to at once; without one they are
    /// gathered for `finish` (text COPY), because lookups of current versions need the
    /// connection in between.
    var sink: PGCopyWriter?
    private var binary = PGBinaryCopyRow()

    var copySQL: String {
        "COPY \(table.table)(\((["fid", "entity_key", "valid_from"] + table.attributeColumns + ["geom"]).joined(separator: ", "))) FROM STDIN"
    }

    func insert(_ r: PGUserLayerRow) throws {
        defer { nextID += 1 }
        if let sink {
            binary.begin(fields: 4 + r.values.count)
            binary.int(nextID); binary.text(r.key); binary.text(day)
            for v in r.values { binary.value(v) }
            binary.geometry(r.geometry)
            try sink.write(binary.bytes)
            return
        }
        line.int(nextID)
        line.text(r.key); line.text(day)
        for v in r.values { line.value(v) }
        line.geometry(r.geometry)
        rows.append(contentsOf: line.line())
        // A long import sends what it gathered now and then (memory stays bounded; lookups resume
        // after the COPY ends).
        if rows.count >= 1 << 24 { try finish() }
    }

    func finish() throws {
        guard !rows.isEmpty else { return }
        try c.copyIn(copySQL) { try $0.write(rows) }
        rows = []
    }
}
