import CSQLite3
import Foundation
import OneMapGeo
import OneMapStore

/// A tile archive opened for serving: an MBTiles 1.3 or PMTiles v3 file of vector tiles.
public final class TileArchiveSource: @unchecked Sendable {
    public enum Format: String, Sendable { case mbtiles, pmtiles }

    public let name: String
    public let format: Format
    public let path: String
    /// TileJSON-like facts from the archive's metadata.
    public let minZoom: Int, maxZoom: Int
    public let bounds: [Double]?
    public let vectorLayers: [[String: Any]]
    public let description: String
    /// The view the archive was seeded for (`onemap seed`): nil for the public (or a foreign file),
    /// else the department whose view it holds — served to that department and the administrator only.
    public let department: String?

    private let lock = NSLock()
    private var db: OpaquePointer?  // guarded by lock
    private var query: OpaquePointer?  // guarded by lock
    private let pmtiles: PMTilesReader?  // guarded by lock (one file handle)

    public init(path: String) throws {
        self.path = path
        let file = (path as NSString).lastPathComponent
        name = (file as NSString).deletingPathExtension
        var meta: [String: Any] = [:]
        switch (file as NSString).pathExtension.lowercased() {
        case "mbtiles":
            format = .mbtiles
            pmtiles = nil
            guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, nil) == SQLITE_OK,
                  sqlite3_prepare_v2(db, "SELECT tile_data FROM tiles WHERE zoom_level = ? AND tile_column = ? AND tile_row = ?", -1, &query, nil) == SQLITE_OK else {
                let why = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
                sqlite3_close(db)
                throw StoreError("\(file): not an MBTiles archive (\(why))")
            }
            var s: OpaquePointer?
            if sqlite3_prepare_v2(db, "SELECT name, value FROM metadata", -1, &s, nil) == SQLITE_OK {
                while sqlite3_step(s) == SQLITE_ROW {
                    if let k = sqlite3_column_text(s, 0), let v = sqlite3_column_text(s, 1) { meta[String(cString: k)] = String(cString: v) }
                }
            }
            sqlite3_finalize(s)
            if let json = meta["json"] as? String, let doc = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] {
                meta.merge(doc) { $1 }
            }
        case "pmtiles":
            format = .pmtiles
            let reader = try PMTilesReader(path: path)
            guard reader.header.tileType == 1 else { throw StoreError("\(file): holds no vector tiles") }
            pmtiles = reader
            meta = (try? reader.metadata()) ?? [:]
            meta["minzoom"] = meta["minzoom"] ?? reader.header.minZoom
            meta["maxzoom"] = meta["maxzoom"] ?? reader.header.maxZoom
        default:
            throw StoreError("\(file): not an .mbtiles or .pmtiles file")
        }
        func int(_ v: Any?) -> Int? { (v as? Int) ?? (v as? String).flatMap { Int($0) } }
        minZoom = int(meta["minzoom"]) ?? 0
        maxZoom = int(meta["maxzoom"]) ?? 14
        if let b = meta["bounds"] as? String {
            let parts = b.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            bounds = parts.count == 4 ? parts : nil
        } else {
            bounds = meta["bounds"] as? [Double]
        }
        vectorLayers = meta["vector_layers"] as? [[String: Any]] ?? []
        description = meta["description"] as? String ?? ""
        department = (meta["onemap_view"] as? String).flatMap { $0 == "public" ? nil : $0 }
    }

    deinit {
        sqlite3_finalize(query)
        sqlite3_close(db)
    }

    /// The tile's bytes as stored (gzip-compressed MVT), nil when the archive has none there.
    public func tile(z: Int, x: Int, y: Int) throws -> [UInt8]? {
        try lock.withLock {
            if let pmtiles { return try pmtiles.tile(z: z, x: x, y: y) }
            sqlite3_reset(query)
            sqlite3_bind_int(query, 1, Int32(z))
            sqlite3_bind_int(query, 2, Int32(x))
            sqlite3_bind_int(query, 3, Int32((1 << z) - 1 - y))  // TMS rows
            guard sqlite3_step(query) == SQLITE_ROW else { return nil }
            let n = Int(sqlite3_column_bytes(query, 0))
            guard n > 0, let p = sqlite3_column_blob(query, 0) else { return nil }
            return [UInt8](UnsafeRawBufferPointer(start: p, count: n))
        }
    }
}
