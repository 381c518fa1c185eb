import CSQLite3
import Foundation
import OneMapGeo
import OneMapStore

/// A GeoPackage being written feature by feature (`GeoPackageWriter` describes the format): the
/// tables are created first, each feature and its R-tree entry are inserted as it comes, and
/// `finish` sets the extent, adds the R-tree triggers and commits. Nothing is held in memory but
/// the current feature; the SQLite handle and statements are owned here and freed on deinit.
public final class GeoPackageFile {
    typealias Error = GeoPackageWriter.GeoPackageError
    private let db: OpaquePointer
    private var insert: OpaquePointer?
    private var insertBox: OpaquePointer?
    private let name: String
    private let srsID: Int32
    private let promote: Bool
    private var box: BBox?
    private var finished = false
    public private(set) var count = 0

    public init(path: String, layer: LayerInfo, columns: [FeatureTable.Column], crs: CRS, name: String, title: String) throws {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK, let db = handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(handle)
            throw Error("cannot create \(path): \(message)")
        }
        self.db = db
        self.name = name
        srsID = Int32(crs.epsg)
        let (typeName, promote) = GeoPackageWriter.geometryType(layer)
        self.promote = promote
        guard let wkt = crs.wkt1, let wgs84 = CRS.wgs84.wkt1 else { throw Error("PROJ has no definition of \(crs)") }
        try exec("PRAGMA application_id = 1196444487; PRAGMA user_version = 10300; PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -4096; BEGIN")
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
            INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, \(Self.quoted(wgs84)), 'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');
            """)
        if crs.epsg != 4326 {
            try exec("INSERT INTO gpkg_spatial_ref_sys VALUES (\(Self.quoted(crs.name)), \(crs.epsg), 'EPSG', \(crs.epsg), \(Self.quoted(wkt)), \(Self.quoted(crs.name)))")
        }
        var definitions = ["fid INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL", "geom \(typeName)"]
        definitions += columns.map { "\(Self.ident($0.name)) \(GeoPackageWriter.sqlType($0.type))" }
        try exec("CREATE TABLE \(Self.ident(name)) (\(definitions.joined(separator: ", ")))")
        try exec("""
            INSERT INTO gpkg_contents(table_name, data_type, identifier, description, srs_id)
            VALUES (\(Self.quoted(name)), 'features', \(Self.quoted(title)), \(Self.quoted(layer.description)), \(crs.epsg));
            INSERT INTO gpkg_geometry_columns VALUES (\(Self.quoted(name)), 'geom', \(Self.quoted(typeName)), \(crs.epsg), 0, 0);
            CREATE TABLE gpkg_extensions (table_name TEXT, column_name TEXT, extension_name TEXT NOT NULL, definition TEXT NOT NULL,
              scope TEXT NOT NULL, CONSTRAINT ge_tce UNIQUE (table_name, column_name, extension_name));
            INSERT INTO gpkg_extensions VALUES (\(Self.quoted(name)), 'geom', 'gpkg_rtree_index', 'http://www.geopackage.org/spec120/#extension_rtree', 'write-only');
            CREATE VIRTUAL TABLE \(Self.ident("rtree_\(name)_geom")) USING rtree(id, minx, maxx, miny, maxy)
            """)
        let placeholders = Array(repeating: "?", count: columns.count + 2).joined(separator: ",")
        insert = try prepare("INSERT INTO \(Self.ident(name)) VALUES (\(placeholders))")
        insertBox = try prepare("INSERT INTO \(Self.ident("rtree_\(name)_geom")) VALUES (?,?,?,?,?)")
    }

    deinit {
        sqlite3_finalize(insert)
        sqlite3_finalize(insertBox)
        sqlite3_close_v2(db)
    }

    /// Adds one feature (already in the package's CRS) and its R-tree entry.
    public func add(_ row: FeatureTable.Row) throws {
        guard let insert, let insertBox, !finished else { throw Error("GeoPackage: feature added after finish") }
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_reset(insert)
        sqlite3_bind_int64(insert, 1, row.id)
        let bytes = GeoPackageWriter.blob(promote ? GeoPackageWriter.promoted(row.geometry) : row.geometry, srsID: srsID)
        _ = bytes.withUnsafeBytes { sqlite3_bind_blob(insert, 2, $0.baseAddress, Int32($0.count), transient) }
        for (i, v) in row.values.enumerated() {
            let at = Int32(i + 3)
            switch v {
            case .empty: sqlite3_bind_null(insert, at)
            case .int(let n): sqlite3_bind_int64(insert, at, Int64(n))
            case .number(let d): sqlite3_bind_double(insert, at, d)
            case .text(let t): sqlite3_bind_text(insert, at, t, -1, transient)
            }
        }
        guard sqlite3_step(insert) == SQLITE_DONE else { throw sqliteError() }
        count += 1
        guard !row.geometry.isEmpty, let b = row.geometry.bbox else { return }
        if box == nil { box = b } else { box!.extend(b) }
        sqlite3_reset(insertBox)
        sqlite3_bind_int64(insertBox, 1, row.id)
        for (i, v) in [b.minX, b.maxX, b.minY, b.maxY].enumerated() { sqlite3_bind_double(insertBox, Int32(i + 2), v) }
        guard sqlite3_step(insertBox) == SQLITE_DONE else { throw sqliteError() }
    }

    /// The extent, the R-tree triggers (which call the ST_ functions a GeoPackage reader provides,
    /// so they are created after the rows and this connection never runs them), and the commit.
    public func finish() throws {
        guard !finished else { return }
        finished = true
        func num(_ d: Double?) -> String { d.map { "\($0)" } ?? "NULL" }
        try exec("""
            UPDATE gpkg_contents SET min_x = \(num(box?.minX)), min_y = \(num(box?.minY)), max_x = \(num(box?.maxX)), max_y = \(num(box?.maxY))
            WHERE table_name = \(Self.quoted(name))
            """)
        let t = Self.ident(name), rtree = Self.ident("rtree_\(name)_geom")
        let bounds = "ST_MinX(NEW.geom), ST_MaxX(NEW.geom), ST_MinY(NEW.geom), ST_MaxY(NEW.geom)"
        let trigger = "\"rtree_\(name.replacingOccurrences(of: "\"", with: "\"\""))_geom"
        try exec("""
            CREATE TRIGGER \(trigger)_insert" AFTER INSERT ON \(t) WHEN (NEW.geom NOT NULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN INSERT OR REPLACE INTO \(rtree) VALUES (NEW.fid, \(bounds)); END;
            CREATE TRIGGER \(trigger)_update1" AFTER UPDATE OF geom ON \(t)
              WHEN OLD.fid = NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN INSERT OR REPLACE INTO \(rtree) VALUES (NEW.fid, \(bounds)); END;
            CREATE TRIGGER \(trigger)_update2" AFTER UPDATE OF geom ON \(t)
              WHEN OLD.fid = NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(rtree) WHERE id = OLD.fid; END;
            CREATE TRIGGER \(trigger)_update3" AFTER UPDATE ON \(t)
              WHEN OLD.fid != NEW.fid AND (NEW.geom NOTNULL AND NOT ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(rtree) WHERE id = OLD.fid; INSERT OR REPLACE INTO \(rtree) VALUES (NEW.fid, \(bounds)); END;
            CREATE TRIGGER \(trigger)_update4" AFTER UPDATE ON \(t)
              WHEN OLD.fid != NEW.fid AND (NEW.geom ISNULL OR ST_IsEmpty(NEW.geom))
            BEGIN DELETE FROM \(rtree) WHERE id IN (OLD.fid, NEW.fid); END;
            CREATE TRIGGER \(trigger)_delete" AFTER DELETE ON \(t) WHEN OLD.geom NOT NULL
            BEGIN DELETE FROM \(rtree) WHERE id = OLD.fid; END;
            COMMIT
            """)
    }

    private func exec(_ sql: String) throws {
        var error: UnsafeMutablePointer<CChar>?
        guard sqlite3_exec(db, sql, nil, nil, &error) == SQLITE_OK else {
            let message = error.map { String(cString: $0) } ?? "error"
            sqlite3_free(error)
            throw Error("GeoPackage: \(message)")
        }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else { throw sqliteError() }
        return stmt
    }

    private func sqliteError() -> Error { Error("GeoPackage: \(String(cString: sqlite3_errmsg(db)))") }

    static func quoted(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }
    static func ident(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
