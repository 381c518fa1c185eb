import Foundation
import OneMapGeo
import OneMapStore
import Testing
@testable import OneMapTiles

/// PMTiles v3: tile ids on the Hilbert curve, archives large enough to need leaf directories,
/// identical tiles stored once, every tile found again by its address.
@Suite struct PMTilesTests {
    @Test func tileIDsFollowTheSpecsHilbertOrder() {
        // From the PMTiles specification's examples and the curve's first levels.
        #expect(PMTilesWriter.tileID(z: 0, x: 0, y: 0) == 0)
        #expect([(0, 0), (0, 1), (1, 1), (1, 0)].map { PMTilesWriter.tileID(z: 1, x: $0.0, y: $0.1) } == [1, 2, 3, 4])
        #expect(PMTilesWriter.tileID(z: 2, x: 0, y: 0) == 5)
        #expect(PMTilesWriter.tileID(z: 12, x: 3423, y: 1763) == 19_078_479)
        // Every id of a zoom once.
        let ids = Set((0..<16).flatMap { x in (0..<16).map { y in PMTilesWriter.tileID(z: 4, x: x, y: y) } })
        #expect(ids.count == 256 && ids.min() == 85 && ids.max() == 85 + 255)
    }

    @Test func largeArchivesUseLeafDirectoriesAndEveryTileIsFoundAgain() throws {
        let path = NSTemporaryDirectory() + "onemap-\(UUID().uuidString).pmtiles"
        defer { unlink(path) }
        let writer = try PMTilesWriter(path: path)
        var expected: [String: [UInt8]] = [:]
        // 60,000 tiles of z16 in a scattered order, every seventh a copy of a shared "sea" tile.
        let sea: [UInt8] = Array(repeating: 7, count: 300)
        for k in 0..<60_000 {
            let x = 53_000 + (k * 7_919) % 300, y = 27_000 + k / 300
            let body: [UInt8] = k % 7 == 0 ? sea : Array("tile \(x)/\(y) \(k)".utf8)
            try writer.add(z: 16, x: x, y: y, mvt: body)
            expected["\(x)/\(y)"] = body
        }
        try writer.finish(name: "t", description: "t", layers: [], bounds: BBox(minX: 111, minY: 25, maxX: 112, maxY: 26), minZoom: 16, maxZoom: 16)
        let reader = try PMTilesReader(path: path)
        let h = reader.header
        #expect(h.leavesLength > 0 && h.rootOffset + h.rootLength <= 16_384)
        #expect(h.addressedTiles == 60_000 && h.tileContents == UInt64(60_000 - 60_000 / 7 - 1 + 1) && h.clustered)
        for (key, body) in expected.shuffled().prefix(3_000) {
            let p = key.split(separator: "/").map { Int($0)! }
            let stored = try #require(try reader.tile(z: 16, x: p[0], y: p[1]))
            #expect(Gzip.decompress(stored) == body)
        }
        #expect(try reader.tile(z: 16, x: 1, y: 1) == nil && reader.tile(z: 15, x: 26_500, y: 13_500) == nil)
        #expect(!FileManager.default.fileExists(atPath: path + ".part") && !FileManager.default.fileExists(atPath: path + ".tiles.part"))
    }
}
