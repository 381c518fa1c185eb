import CSQLite3
import Foundation
import OneMapGeo
import OneMapStore

/// Writes an MBTiles 1.3 archive of vector tiles: gzip-compressed MVT in `tiles` (TMS rows: row 0
/// at the bottom), and `metadata` with `format=pbf` and `json` holding `vector_layers`. Built in a
/// temporary file and renamed when complete: a killed seed leaves no half archive.
public final class MBTilesWriter {
    private var db: OpaquePointer?
    private var insert: OpaquePointer?
    private let path: String
    private let temporary: String
    public private(set) var written = 0

    public init(path: String) throws {
        self.path = path
        temporary = path + ".part"
        for suffix in ["", "-journal"] { unlink(temporary + suffix) }
        guard sqlite3_open(temporary, &db) == SQLITE_OK else { throw StoreError("cannot create \(temporary)") }
        try exec("PRAGMA journal_mode = OFF")
        try exec("PRAGMA synchronous = OFF")
        try exec("PRAGMA application_id = 0x4d504258")  // 'MPBX', as MBTiles 1.3 suggests
        try exec("CREATE TABLE metadata (name TEXT, value TEXT)")
        try exec("CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB)")
        try exec("BEGIN")
        guard sqlite3_prepare_v2(db, "INSERT INTO tiles VALUES (?, ?, ?, ?)", -1, &insert, nil) == SQLITE_OK else {
            throw StoreError("prepare: \(String(cString: sqlite3_errmsg(db)))")
        }
    }

    deinit {
        sqlite3_finalize(insert)
        sqlite3_close(db)
    }

    private func exec(_ sql: String) throws {
        guard sqlite3_exec(db, sql, nil, nil, nil) == SQLITE_OK else { throw StoreError("\(String(cString: sqlite3_errmsg(db))) in \(sql)") }
    }

    /// Adds a tile (XYZ address; empty tiles are not stored).
    public func add(z: Int, x: Int, y: Int, mvt: [UInt8]) throws {
        guard !mvt.isEmpty else { return }
        let data = Gzip.compress(mvt) ?? mvt
        sqlite3_reset(insert)
        sqlite3_bind_int(insert, 1, Int32(z))
        sqlite3_bind_int(insert, 2, Int32(x))
        sqlite3_bind_int(insert, 3, Int32((1 << z) - 1 - y))
        _ = data.withUnsafeBytes { sqlite3_bind_blob(insert, 4, $0.baseAddress, Int32($0.count), unsafeBitCast(-1, to: sqlite3_destructor_type.self)) }
        guard sqlite3_step(insert) == SQLITE_DONE else { throw StoreError("insert tile: \(String(cString: sqlite3_errmsg(db)))") }
        written += 1
    }

    /// Writes the metadata, indexes the tiles, and moves the archive into place.
    public func finish(name: String, description: String, view: String = "public", layers: [LayerInfo], bounds: BBox, minZoom: Int, maxZoom: Int) throws {
        let vectorLayers = TileArchive.vectorLayers(layers, minZoom: minZoom, maxZoom: maxZoom)
        let json = String(decoding: try JSONSerialization.data(withJSONObject: ["vector_layers": vectorLayers], options: [.sortedKeys]), as: UTF8.self)
        let centre = "\((bounds.minX + bounds.maxX) / 2),\((bounds.minY + bounds.maxY) / 2),\(min(maxZoom, max(minZoom, 10)))"
        let metadata: [(String, String)] = [
            ("name", name), ("description", description), ("format", "pbf"), ("type", "overlay"), ("version", "1"),
            ("bounds", "\(bounds.minX),\(bounds.minY),\(bounds.maxX),\(bounds.maxY)"), ("center", centre),
            ("minzoom", String(minZoom)), ("maxzoom", String(maxZoom)), ("json", json),
            ("attribution", "OneMap 三明市时空一张图"),
            // Whose view the tiles show: the server serves a department's package to that department only.
            ("onemap_view", view),
        ]
        var s: OpaquePointer?
        guard sqlite3_prepare_v2(db, "INSERT INTO metadata VALUES (?, ?)", -1, &s, nil) == SQLITE_OK else { throw StoreError("metadata") }
        defer { sqlite3_finalize(s) }
        for (k, v) in metadata {
            sqlite3_reset(s)
            sqlite3_bind_text(s, 1, k, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            sqlite3_bind_text(s, 2, v, -1, unsafeBitCast(-1, to: sqlite3_destructor_type.self))
            guard sqlite3_step(s) == SQLITE_DONE else { throw StoreError("metadata \(k)") }
        }
        try exec("CREATE UNIQUE INDEX tile_index ON tiles (zoom_level, tile_column, tile_row)")
        try exec("CREATE UNIQUE INDEX metadata_index ON metadata (name)")
        try exec("COMMIT")
        sqlite3_finalize(insert); insert = nil
        sqlite3_close(db); db = nil
        guard rename(temporary, path) == 0 else { throw StoreError("cannot move \(temporary) to \(path)") }
    }
}
