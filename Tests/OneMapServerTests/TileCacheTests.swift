import Foundation
import OneMapGeo
@testable import OneMapServer
import OneMapStore
import Testing

/// The tile cache on its own: bounded in bytes with least-recently-used eviction, and changes
/// dropping exactly the entries they can alter.
@Suite struct TileCacheTests {
    func tile(_ n: Int, size: Int = 1000) -> CachedTile {
        CachedTile(bytes: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ n) }, features: 1)
    }

    func scope(_ layer: String, _ x: Double, _ y: Double, day: String? = "2026-01-01") -> TileScope {
        TileScope(layers: [layer], box: BBox(minX: x, minY: y, maxX: x + 0.01, maxY: y + 0.01), lastDay: day)
    }

    @Test func leastRecentlyUsedTilesLeaveFirstAndBytesStayBounded() {
        let one = tile(0).cost
        let cache = TileCache(capacityBytes: one * 10)
        for i in 0..<10 { cache.put("t\(i)", tile(i), scope: scope("buildings", 117, 26)) }
        #expect(cache.count == 10)
        _ = cache.get("t0")  // t0 becomes the most recent: t1 goes first
        cache.put("t10", tile(10), scope: scope("buildings", 117, 26))
        #expect(cache.get("t1") == nil && cache.get("t0") != nil && cache.get("t10") != nil)
        for i in 11..<40 { cache.put("t\(i)", tile(i), scope: scope("buildings", 117, 26)) }
        #expect(cache.bytesUsed <= cache.capacity && cache.count == 10)
        // A tile larger than an eighth of the cache is not kept.
        cache.put("huge", tile(0, size: one * 2), scope: scope("buildings", 117, 26))
        #expect(cache.get("huge") == nil)
    }

    @Test func aChangeDropsOnlyTilesOfItsLayerWhereAndWhenItShows() {
        let cache = TileCache(capacityBytes: 1 << 20)
        cache.put("here", tile(1), scope: scope("buildings", 117.60, 26.20))
        cache.put("there", tile(2), scope: scope("buildings", 117.30, 25.90))
        cache.put("here-2020", tile(3), scope: scope("buildings", 117.60, 26.20, day: "2020-06-01"))
        cache.put("here-open", tile(4), scope: scope("buildings", 117.60, 26.20, day: nil))
        cache.put("here-areas", tile(5), scope: scope("admin_areas", 117.60, 26.20))
        let change = ChangeExtent(seq: 1, layer: "buildings", fromDay: "2025-03-01",
                                  box: BBox(minX: 117.605, minY: 26.205, maxX: 117.606, maxY: 26.206))
        #expect(cache.invalidate(change) == 2)
        #expect(cache.get("here") == nil && cache.get("here-open") == nil)
        #expect(cache.get("there") != nil && cache.get("here-2020") != nil && cache.get("here-areas") != nil)
        // A reclassification: the whole layer, every day.
        #expect(cache.invalidate(ChangeExtent(seq: 2, layer: "buildings", fromDay: nil, box: nil)) == 2)
        #expect(cache.get("there") == nil && cache.get("here-2020") == nil && cache.get("here-areas") != nil)
    }

    @Test func etagsAreStrongAndGzipIsKeptOnlyWhenSmaller() {
        let a = tile(7), b = tile(7), c = tile(8)
        #expect(a.etag == b.etag && a.etag != c.etag && a.etag.hasPrefix("\"") && a.etag.hasSuffix("\""))
        let repetitive = CachedTile(bytes: [UInt8](repeating: 42, count: 10_000), features: 1)
        #expect((repetitive.gzippedBuffer?.readableBytes ?? .max) < 200)
        let tiny = CachedTile(bytes: [1, 2, 3], features: 1)
        #expect(tiny.gzippedBuffer == nil)
    }

    @Test func keysDifferByViewTileAndDay() {
        let layer = CoreLayers.buildings
        let full = LayerView.full(layer), publicOnly = LayerView(layer: layer, visible: [0, 1, 2])
        let k1 = TileCache.key(views: [full], tms: "WebMercatorQuad", level: 15, row: 1, column: 2, time: .instant("2026-01-01"))
        #expect(k1 != TileCache.key(views: [publicOnly], tms: "WebMercatorQuad", level: 15, row: 1, column: 2, time: .instant("2026-01-01")))
        #expect(k1 != TileCache.key(views: [full], tms: "WebMercatorQuad", level: 15, row: 2, column: 1, time: .instant("2026-01-01")))
        #expect(k1 != TileCache.key(views: [full], tms: "WebMercatorQuad", level: 15, row: 1, column: 2, time: .instant("2025-01-01")))
    }
}
