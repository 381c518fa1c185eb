import CSQLite3
import Foundation
import OneMapGeo
import OneMapStore

/// OGC GeoPackage: one feature table (the only one, or the one named), geometry from the
/// GeoPackage binary header + WKB, CRS from gpkg_spatial_ref_sys.
struct GeoPackageReader: FeatureFileReader {
    let path: String
    let table: String
    let geometryColumn: String
    private(set) var declaredEPSG: Int?
    private let db: GeoPackageFile

    init(path: String, table wanted: String?) throws {
        self.path = path
        db = try GeoPackageFile(path: path)
        let tables = try db.rows("SELECT c.table_name, g.column_name, c.srs_id FROM gpkg_contents c JOIN gpkg_geometry_columns g ON g.table_name = c.table_name WHERE c.data_type = 'features' ORDER BY c.table_name")
        guard !tables.isEmpty else { throw ImportError("\(path) has no feature tables (gpkg_contents)") }
        let chosen: [Any?]
        if let wanted {
            guard let t = tables.first(where: { $0[0] as? String == wanted }) else {
                throw ImportError("\(path) has no feature table '\(wanted)'; it has: \(tables.compactMap { $0[0] as? String }.joined(separator: ", "))")
            }
            chosen = t
        } else {
            guard tables.count == 1 else {
                throw ImportError("\(path) has \(tables.count) feature tables (\(tables.compactMap { $0[0] as? String }.joined(separator: ", "))); name one with --table")
            }
            chosen = tables[0]
        }
        table = chosen[0] as? String ?? ""
        geometryColumn = chosen[1] as? String ?? "geom"
        if let srs = chosen[2] as? Int64 {
            let org = try db.rows("SELECT upper(organization), organization_coordsys_id FROM gpkg_spatial_ref_sys WHERE srs_id = \(srs)")
            if let o = org.first, o[0] as? String == "EPSG", let code = o[1] as? Int64 { declaredEPSG = Int(code) }
            else if srs > 0 { declaredEPSG = Int(srs) }
        }
    }

    func features() throws -> [SourceFeature] {
        // Identifiers come from the file's own catalog; quoted, never from user text beyond a lookup.
        let quoted = { (s: String) in "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        let columns = try db.columnNames(of: table)
        let rows = try db.rows("SELECT \(columns.map(quoted).joined(separator: ", ")) FROM \(quoted(table)) ORDER BY rowid")
        let g = columns.firstIndex(of: geometryColumn)
        // The integer primary key (GeoPackage's `fid`) is the feature id, not an attribute.
        let pkName = try db.rows("SELECT name FROM pragma_table_info('\(table.replacingOccurrences(of: "'", with: "''"))') WHERE pk = 1").first?[0] as? String
        let pk = pkName.flatMap { columns.firstIndex(of: $0) }
        return rows.enumerated().map { n, r in
            var props: [String: FieldValue] = [:]
            let id: FieldValue? = pk.flatMap { r[$0] as? Int64 }.map { .int($0) }
            for (i, name) in columns.enumerated() where i != g && i != pk {
                switch r[i] {
                case let v as Int64: props[name] = .int(v)
                case let v as Double: props[name] = .double(v)
                case let v as String: props[name] = .string(v)
                default: props[name] = .null
                }
            }
            guard let g, let blob = r[g] as? [UInt8] else { return SourceFeature(row: n + 1, properties: props, geometry: nil, featureID: id) }
            do {
                return SourceFeature(row: n + 1, properties: props, geometry: try Self.geometry(blob), featureID: id)
            } catch {
                props["__error"] = .string("geometry: \(error)")
                return SourceFeature(row: n + 1, properties: props, geometry: nil, featureID: id)
            }
        }
    }

    /// GeoPackage binary: "GP", version, flags, srs_id, envelope, then standard WKB.
    static func geometry(_ b: [UInt8]) throws -> Geometry? {
        guard b.count >= 8, b[0] == 0x47, b[1] == 0x50 else { throw ImportError("not a GeoPackage geometry blob") }
        let flags = b[3]
        if flags & 0x10 != 0 { return nil }  // empty geometry
        let envelope = [0, 32, 48, 48, 64][Int((flags >> 1) & 0x07) < 5 ? Int((flags >> 1) & 0x07) : 0]
        let start = 8 + envelope
        guard start < b.count else { throw ImportError("GeoPackage geometry blob is truncated") }
        return try WKB.decode(Array(b[start...]))
    }
}

/// A read-only SQLite file for GeoPackage reading; closed in deinit.
final class GeoPackageFile {
    private let db: OpaquePointer

    init(path: String) throws {
        var h: OpaquePointer?
        guard sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, nil) == SQLITE_OK, let h else {
            if let h { sqlite3_close_v2(h) }
            throw ImportError("cannot open \(path) as a GeoPackage (SQLite) file")
        }
        db = h
    }

    deinit { sqlite3_close_v2(db) }

    func columnNames(of table: String) throws -> [String] {
        try rows("SELECT name FROM pragma_table_info('\(table.replacingOccurrences(of: "'", with: "''"))')").compactMap { $0[0] as? String }
    }

    /// All rows, values as Int64, Double, String, [UInt8] or nil.
    func rows(_ sql: String) throws -> [[Any?]] {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else {
            throw ImportError("GeoPackage: \(String(cString: sqlite3_errmsg(db)))")
        }
        defer { sqlite3_finalize(stmt) }
        var out: [[Any?]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw ImportError("GeoPackage: \(String(cString: sqlite3_errmsg(db)))") }
            out.append((0..<sqlite3_column_count(stmt)).map { i -> Any? in
                switch sqlite3_column_type(stmt, i) {
                case SQLITE_INTEGER: return sqlite3_column_int64(stmt, i)
                case SQLITE_FLOAT: return sqlite3_column_double(stmt, i)
                case SQLITE_TEXT: return String(cString: sqlite3_column_text(stmt, i))
                case SQLITE_BLOB:
                    let n = Int(sqlite3_column_bytes(stmt, i))
                    guard n > 0, let p = sqlite3_column_blob(stmt, i) else { return [UInt8]() }
                    return Array(UnsafeRawBufferPointer(start: p, count: n))
                default: return nil
                }
            })
        }
        return out
    }
}
