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
            let file = try GeoPackageFile(path: part, layer: table.layer, columns: table.columns, crs: table.crs, name: name, title: title)
            for row in table.rows { try file.add(row) }
            try file.finish()
            _ = try? FileManager.default.removeItem(atPath: path)
            try FileManager.default.moveItem(atPath: part, toPath: path)
        } catch {
            try? FileManager.default.removeItem(atPath: part)
            throw error
        }
    }

    /// The declared geometry type, known before the first feature (a package is written as the
    /// features come): a point layer's POINT, else the family's Multi form with single parts
    /// written as one-part multis (as ogr2ogr's PROMOTE_TO_MULTI), or GEOMETRY.
    static func geometryType(_ layer: LayerInfo) -> (name: String, promote: Bool) {
        switch layer.geometryType {
        case .point: ("POINT", false)
        case .multiPoint: ("MULTIPOINT", true)
        case .lineString, .multiLineString: ("MULTILINESTRING", true)
        case .polygon, .multiPolygon: ("MULTIPOLYGON", true)
        case .geometry, .none: ("GEOMETRY", false)
        }
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
}
