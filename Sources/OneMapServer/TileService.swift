import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OneMapGeo
import OneMapStore
import OneMapTiles

/// Tiles as HTTP serves them: from the cache when it holds the caller's view of the tile, else
/// built and kept; strong ETags (304 on If-None-Match), gzip for clients that accept it.
struct TileService: Sendable {
    let builder: TileBuilder
    /// nil: no cache (`--tile-cache-mb 0`).
    let cache: TileCache?
    /// The cache's second level on disk (`--tile-cache-dir`), behind the memory cache.
    let disk: PersistentTileStore?
    /// The store's changes, followed for the cache and the builder's snapshots.
    let feed: ChangeFeed?

    /// Applies changes committed so far (right after this process's own edits, so the next
    /// request already sees them).
    func catchUp() throws { try feed?.catchUp() }

    /// The cached tile for these views, if any (no building: cheap enough for the request's task).
    func cached(views: [LayerView], tms: TileMatrixSet, level: Int, row: Int, column: Int, time: TimeFilter) -> CachedTile? {
        // A miss here is counted by `tile(..., memoryChecked: true)`, which comes next.
        cache?.get(TileCache.key(views: views, tms: tms.id, level: level, row: row, column: column, time: time), countingMiss: false)
    }

    /// Call on a blocking thread. `hit`: served from the cache (memory or disk). `memoryChecked`:
    /// the caller has just missed the memory cache with `cached(...)`; it is not asked again.
    func tile(views: [LayerView], tms: TileMatrixSet, level: Int, row: Int, column: Int, time: TimeFilter,
              memoryChecked: Bool = false) throws -> (CachedTile, hit: Bool) {
        guard let cache else {
            let built = try builder.tile(views: views, tms: tms, level: level, row: row, column: column, during: time)
            return (CachedTile(bytes: built.bytes, features: built.features), false)
        }
        let key = TileCache.key(views: views, tms: tms.id, level: level, row: row, column: column, time: time)
        if memoryChecked { cache.noteMiss() } else if let hit = cache.get(key) { return (hit, true) }
        let scope = TileCache.scope(views: views, tms: tms, level: level, row: row, column: column, time: time)
        if let stored = disk?.get(key) {
            let tile = CachedTile(bytes: stored.bytes, features: stored.features)
            cache.put(key, tile, scope: scope)
            return (tile, true)
        }
        let built = try builder.tile(views: views, tms: tms, level: level, row: row, column: column, during: time)
        let tile = CachedTile(bytes: built.bytes, features: built.features)
        cache.put(key, tile, scope: scope)
        disk?.put(key, bytes: built.bytes, features: built.features, layers: scope.layers, box: scope.box, lastDay: scope.lastDay)
        return (tile, false)
    }

    /// The response for a tile: 304 when the client has it, 204 when empty, gzip when accepted.
    static func response(_ tile: CachedTile, hit: Bool, request: Request, keyed: Bool) -> Response {
        let answer = TileAnswer(tile, hit: hit, ifNoneMatch: request.headers[.ifNoneMatch],
                                acceptEncoding: request.headers[.acceptEncoding], keyed: keyed)
        return Response(status: answer.status, headers: answer.headers, body: answer.body.map { .init(byteBuffer: $0) } ?? .init())
    }
}

/// Status, headers and body of a tile response, shared by the router and the cache-hit fast path
/// (`TileHitHandler`) so both answer alike.
struct TileAnswer {
    let status: HTTPResponse.Status
    var headers: HTTPFields
    let body: ByteBuffer?

    init(_ tile: CachedTile, hit: Bool, ifNoneMatch: String?, acceptEncoding: String?, keyed: Bool) {
        var headers: HTTPFields = [.eTag: tile.etag, TileAnswer.xCache: hit ? "hit" : "miss",
                                   // Revalidate every time: a change must show at once, and a 304 costs nothing.
                                   .cacheControl: keyed ? "private, no-cache" : "no-cache", .vary: "Accept-Encoding, Authorization"]
        if TileAnswer.matches(ifNoneMatch, tile.etag) {
            (status, self.headers, body) = (.notModified, headers, nil)
            return
        }
        if tile.bytes.isEmpty {
            (status, self.headers, body) = (.noContent, headers, nil)
            return
        }
        headers[.contentType] = TileRoutes.mvtType
        if (acceptEncoding ?? "").contains("gzip"), let zipped = tile.gzippedBuffer {
            headers[.contentEncoding] = "gzip"
            (status, self.headers, body) = (.ok, headers, zipped)
            return
        }
        (status, self.headers, body) = (.ok, headers, tile.buffer)
    }

    static let xCache = HTTPField.Name("X-Cache")!

    /// A strong ETag of tile bytes: the same bytes, the same tag, across restarts and servers.
    static func etag(of bytes: [UInt8]) -> String { "\"" + Digest.sha256Hex(bytes).prefix(20) + "\"" }

    /// Whether an If-None-Match header names the tag (or `*`).
    static func matches(_ ifNoneMatch: String?, _ etag: String) -> Bool {
        ifNoneMatch?.split(separator: ",").contains { let t = $0.trimmingCharacters(in: .whitespaces); return t == etag || t == "*" } ?? false
    }
}
