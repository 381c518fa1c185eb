import OneMapGeo
import Testing

/// The three tile matrix sets: their tiles cover the world edge to edge, WebMercatorQuad agrees
/// with the XYZ tiles, and CGCS2000Quad level L is WorldCRS84Quad level L-1, cell for cell.
@Suite struct TileMatrixSetTests {
    @Test(arguments: TileMatrixSet.all)
    func tilesOfALevelShareEdgesAndCoverTheSet(_ t: TileMatrixSet) {
        let level = t.firstLevel + 3
        let first = t.bounds(level: level, row: 0, column: 0), last = t.bounds(level: level, row: t.rows(level) - 1, column: t.columns(level) - 1)
        #expect(first.minX == t.origin.x && first.maxY == t.origin.y)
        #expect(abs(last.maxX - (t.origin.x + t.tileSize(t.firstLevel) * Double(t.firstColumns))) < 1e-6)
        let right = t.bounds(level: level, row: 2, column: 3), left = t.bounds(level: level, row: 2, column: 2)
        #expect(left.maxX == right.minX && left.minY == right.minY)
    }

    @Test func webMercatorQuadIsTheXYZGrid() throws {
        let tile = try TileCoord(z: 14, x: 13545, y: 6952)
        #expect(TileMatrixSet.webMercatorQuad.bounds(level: 14, row: 6952, column: 13545) == WebMercatorQuad.bounds(tile))
    }

    @Test func cgcs2000QuadLevelsAreWorldCRS84QuadLevelsShiftedByOne() {
        for level in 1...18 {
            let c = TileMatrixSet.cgcs2000Quad, w = TileMatrixSet.worldCRS84Quad
            #expect(c.columns(level) == w.columns(level - 1) && c.rows(level) == w.rows(level - 1))
            #expect(c.bounds(level: level, row: 1 % c.rows(level), column: 3 % c.columns(level)) == w.bounds(level: level - 1, row: 1 % w.rows(level - 1), column: 3 % w.columns(level - 1)))
        }
        // 天地图 level 1: two tiles of 180 degrees.
        #expect(TileMatrixSet.cgcs2000Quad.columns(1) == 2 && TileMatrixSet.cgcs2000Quad.rows(1) == 1 && TileMatrixSet.cgcs2000Quad.tileSize(1) == 180)
    }

    @Test func addressesOutsideTheSetNameTheBadPart() {
        #expect(throws: TileCoordError.outside("tile matrix 0 is outside 1...24 of CGCS2000Quad")) {
            try TileMatrixSet.cgcs2000Quad.check(level: 0, row: 0, column: 0)
        }
        #expect(throws: TileCoordError.outside("tile row 2 is outside 0...1 at matrix 1 of WorldCRS84Quad")) {
            try TileMatrixSet.worldCRS84Quad.check(level: 1, row: 2, column: 0)
        }
        #expect(throws: TileCoordError.outside("tile column 4 is outside 0...3 at matrix 1 of WorldCRS84Quad")) {
            try TileMatrixSet.worldCRS84Quad.check(level: 1, row: 0, column: 4)
        }
    }

    @Test func definitionsFollowTMS2() {
        let d = TileMatrixSet.cgcs2000Quad.definition(uri: "u")
        #expect(d["crs"] as? String == "http://www.opengis.net/def/crs/EPSG/0/4490")
        #expect(d["orderedAxes"] as? [String] == ["Lat", "Lon"])
        let m = d["tileMatrices"] as? [[String: Any]] ?? []
        #expect(m.count == 24 && m.first?["id"] as? String == "1" && m.first?["pointOfOrigin"] as? [Double] == [90, -180])
        let w = TileMatrixSet.webMercatorQuad.definition(uri: "u")["tileMatrices"] as? [[String: Any]] ?? []
        // The registry's WebMercatorQuad scale denominator at level 0.
        #expect(abs((w.first?["scaleDenominator"] as? Double ?? 0) - 559082264.0287178) < 1e-3)
    }
}

extension TileMatrixSet: CustomTestStringConvertible {
    public var testDescription: String { id }
}
