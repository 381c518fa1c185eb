import CSQLite3
import Foundation
import OneMapGeo
import OneMapStore

/// An OGC GeoPackage 1.3 file (12-128r18) of one feature table: the SQLite application id and
/// version, `gpkg_spatial_ref_sys` with the CRS's WKT from PROJ, `gpkg_contents`,
/// `gpkg_geometry_columns`, geometries as GeoPackage binary (header, envelope, ISO WKB), and the
/// R-tree spatial index extension (`gpkg_rtree_index`, with the triggers that keep it current
/// when a GIS client edits the file).
public enum GeoPackageWriter {
    public static let mediaType = "application/geopackage+sqlite3"

    public struct GeoPackageError: Error, CustomStringConvertible {
        public let description: String
        init(_ d: String) { description = d }
    }

    /// Writes `table` to a new file at `path` (an existing file is replaced). The file is written
    /// beside as `path.part` and renamed when complete, so a reader never sees half a package.
    public static func write(_ table: FeatureTable, name: String, title: String, to path: String) throws {
        let part = path + ".part"
        try? FileManager.default.removeItem(atPath: part)
        do {
            try writeFile(table, name: name, title: title, path: part)
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: part, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: part)
            throw error
        }
    }

    /// The package as bytes (written to a scratch file first: SQLite writes files).
    public static func data(_ table: FeatureTable, name: String, title: String) throws -> Data {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onemap-gpkg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("export.gpkg").path
        try writeFile(table, name: name, title: title, path: path)
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// The declared geometry type: the features' one type, its Multi form when single and multi
    /// parts mix (single parts are written as one-part multis), else GEOMETRY.
    static func geometryType(_ rows: [FeatureTable.Row], layer: LayerInfo) -> (name: String, promote: Bool) {
        let names = Set(rows.map { $0.geometry.typeName })
        if names.count == 1 { return (names.first!.uppercased(), false) }
        let families = Set(rows.map { $0.geometry.familyName })
        if families.count == 1, let f = families.first, f != "GeometryCollection" { return ("MULTI" + f.uppercased(), true) }
        if names.isEmpty {
            switch layer.geometryType {
            case .point: return ("POINT", false)
            case .lineString: return ("LINESTRING", false)
            case .polygon: return ("MULTIPOLYGON", false)
            default: return ("GEOMETRY", false)
            }
        }
        return ("GEOMETRY", false)
    }

    static func promoted(_ g: Geometry) -> Geometry {
        switch g {
        case .point(let p): .multiPoint([p])
        case .lineString(let l): .multiLineString([l])
        case .polygon(let p): .multiPolygon([p])
        default: g
        }
    }

    static func sqlType(_ t: FieldType) -> String {
        switch t {
        case .integer: "INTEGER"
        case .number: "DOUBLE"
        case .boolean: "BOOLEAN"
        case .date: "DATE"
        case .string: "TEXT"
        }
    }

    /// GeoPackage binary: "GP", version 0, flags (little endian, xy envelope), srs id, envelope
    /// (minx, maxx, miny, maxy), then the ISO WKB.
    static func blob(_ g: Geometry, srsID: Int32) -> [UInt8] {
        var out: [UInt8] = [0x47, 0x50, 0]
        let box = g.bbox
        out.append(g.isEmpty ? 0b0001_0001 : 0b0000_0011)
        withUnsafeBytes(of: srsID.littleEndian) { out += $0 }
        if let b = box, !g.isEmpty {
            for v in [b.minX, b.maxX, b.minY, b.maxY] { withUnsafeBytes(of: v.bitPattern.littleEndian) { out += $0 } }
        }
        out += WKB.encode(g)
        return out
    }

    private static func writeFile(_ table: FeatureTable, name: String, title: String, path: String) throws {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK, let db = handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw GeoPackageError("cannot create \(path): \(message)")
        }
        defer { sqlite3_close_v2(db) }
        func exec(_ sql: String) throws {
            var error: UnsafeMutablePointer<CChar>?
            guard sqlite3_exec(db, sql, nil, nil, &error) == SQLITE_OK else {
                let message = error.map { String(cString: $0) } ?? "error"
                sqlite3_free(error)
                throw GeoPackageError("GeoPackage: \(message)")
            }
        }
        func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        func ident(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let srs = table.crs
        guard let wkt = srs.wkt1, let wgs84 = CRS.wgs84.wkt1 else { throw GeoPackageError("PROJ has no definition of \(srs)") }
        try exec("PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; BEGIN")
        try exec("""
            CREATE TABLE gpkg_spatial_ref_sys (srs_name TEXT NOT NULL, srs_id INTEGER NOT NULL PRIMARY KEY, organization TEXT NOT NULL,
              organization_coordsys_id INTEGER NOT NULL, definition TEXT NOT NULL, description TEXT);
            CREATE TABLE gpkg_contents (table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL, identifier TEXT UNIQUE,
              description TEXT DEFAULT '', last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
              min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE, srs_id INTEGER,
              CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id));
            CREATE TABLE gpkg_geometry_columns (table_name TEXT NOT NULL, column_name TEXT NOT NULL, geometry_type_name TEXT NOT NULL,
              srs_id INTEGER NOT NULL, z TINYINT NOT NULL, m TINYINT NOT NULL,
              CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
              CONSTRAINT uk_gc_table_name UNIQUE (table_name),
              CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
              CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system');
            INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system');
            INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, \(quoted(wgs84)), 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
            """)
        if srs.epsg != 4326 {
            try exec("INSERT INTO gpkg_spatial_ref_sys VALUES (\(quoted(srs.name)), \(srs.epsg), 'EPSG', \(srs.epsg), \(quoted(wkt)), \(quoted(srs.name)))")
        }
        let (typeName, promote) = geometryType(table.rows, layer: table.layer)
        var columns = ["fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", "geom \(typeName)"]
        columns += table.columns.map { "\(ident($0.name)) \(sqlType($0.type))" }
        try exec("CREATE TABLE \(ident(name)) (\(columns.joined(separator: ", ")))")
        let b = table.bbox
        func num(_ d: Double?) -> String { d.map { "\($0)" } ?? "NULL" }
        try exec("""
            INSERT INTO gpkg_contents(table_name, data_type, identifier, description, min_x, min_y, max_x, max_y, srs_id)
            VALUES (\(quoted(name)), 'features', \(quoted(title)), \(quoted(table.layer.description)),
                    \(num(b?.minX)), \(num(b?.minY)), \(num(b?.maxX)), \(num(b?.maxY)), \(srs.epsg));
            INSERT INTO gpkg_geometry_columns VALUES (\(quoted(name)), 'geom', \(quoted(typeName)), \(srs.epsg), 0, 0)
            """)
        let placeholders = Array(repeating: "?", count: table.columns.count + 2).joined(separator: ",")
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, "INSERT INTO \(ident(name)) VALUES (\(placeholders))", -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw GeoPackageError("GeoPackage: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(stmt) }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        let srsID = Int32(srs.epsg)
        for row in table.rows {
            sqlite3_reset(stmt)
            sqlite3_bind_int64(stmt, 1, row.id)
            let bytes = blob(promote ? promoted(row.geometry) : row.geometry, srsID: srsID)
            _ = bytes.withUnsafeBytes { sqlite3_bind_blob(stmt, 2, $0.baseAddress, Int32($0.count), transient) }
            for (i, v) in row.values.enumerated() {
                let at = Int32(i + 3)
                switch v {
                case .empty: sqlite3_bind_null(stmt, at)
                case .int(let n): sqlite3_bind_int64(stmt, at, Int64(n))
                case .number(let d): sqlite3_bind_double(stmt, at, d)
                case .text(let t): sqlite3_bind_text(stmt, at, t, -1, transient)
                }
            }
            guard sqlite3_step(stmt) == SQLITE_DONE else { throw GeoPackageError("GeoPackage: \(String(cString: sqlite3_errmsg(db)))") }
        }
        try spatialIndex(table, name: name, exec: exec, db: db)
        try exec("COMMIT")
    }

    /// The R-tree of the features' boxes, filled here; its triggers (which call the ST_ functions a
    /// GeoPackage reader provides) are created after the rows, so this connection never runs them.
    private static func spatialIndex(_ table: FeatureTable, name: String, exec: (String) throws -> Void, db: OpaquePointer) throws {
        func ident(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
        let t = ident(name), rtree = ident("rtree_\(name)_geom")
        try exec("""
            CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
              scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
            INSERT INTO gpkg_extensions VALUES (\(quoted(name)), 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
            CREATE VIRTUAL TABLE \(rtree) USING rtree(id, minx, maxx, miny, maxy)
            """)
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, "INSERT INTO \(rtree) VALUES (?,?,?,?,?)", -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw GeoPackageError("GeoPackage: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(stmt) }
        for row in table.rows {
            guard !row.geometry.isEmpty, let b = row.geometry.bbox else { continue }
            sqlite3_reset(stmt)
            sqlite3_bind_int64(stmt, 1, row.id)
            for (i, v) in [b.minX, b.maxX, b.minY, b.maxY].enumerated() { sqlite3_bind_double(stmt, Int32(i + 2), v) }
            guard sqlite3_step(stmt) == SQLITE_DONE else { throw GeoPackageError("GeoPackage: \(String(cString: sqlite3_errmsg(db)))") }
        }
        let box = "ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)"
        let trigger = "\"rtree_\(name.replacingOccurrences(of: "\"", with: "\"\""))_geom"
        try exec("""
            CREATE TRIGGER \(trigger)_insert" AFTER INSERT ON \(t) WHEN (NEW.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN INSERT OR REPLACE INTO \(rtree) VALUES (NEW.fid, \(box)); END;
            CREATE TRIGGER \(trigger)_update1" AFTER UPDATE OF geom ON \(t)
              WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN INSERT OR REPLACE INTO \(rtree) VALUES (NEW.fid, \(box)); END;
            CREATE TRIGGER \(trigger)_update2" AFTER UPDATE OF geom ON \(t)
              WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(rtree) WHERE id = OLD.fid; END;
            CREATE TRIGGER \(trigger)_update3" AFTER UPDATE ON \(t)
              WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(rtree) WHERE id = OLD.fid; INSERT OR REPLACE INTO \(rtree) VALUES (NEW.fid, \(box)); END;
            CREATE TRIGGER \(trigger)_update4" AFTER UPDATE ON \(t)
              WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(rtree) WHERE id IN (OLD.fid, NEW.fid); END;
            CREATE TRIGGER \(trigger)_delete" AFTER DELETE ON \(t) WHEN OLD.geom NOT NULL
            BEGIN DELETE FROM \(rtree) WHERE id = OLD.fid; END
            """)
    }
}
