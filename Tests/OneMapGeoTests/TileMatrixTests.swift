import OneMapGeo
import Testing

@Suite struct TileMatrixTests {
    @Test func sanmingTileAtZoom14() {
        // Independent formula: x = floor((lon+180)/360 * 2^z), y = floor((1 - asinh(tan(lat))/pi)/2 * 2^z).
        let t = WebMercatorQuad.tile(lon: 117.6365, lat: 26.2705, z: 14)
        #expect(t.x == 13545 && t.y == 6952)
    }

    @Test func tileBoundsTileTheWorld() throws {
        let root = WebMercatorQuad.bounds(try TileCoord(z: 0, x: 0, y: 0))
        #expect(abs(root.maxX - 20037508.342789244) < 1e-6 && abs(root.minY + 20037508.342789244) < 1e-6)
        let a = WebMercatorQuad.bounds(try TileCoord(z: 3, x: 2, y: 5))
        let b = WebMercatorQuad.bounds(try TileCoord(z: 3, x: 3, y: 5))
        #expect(a.maxX == b.minX && abs(a.width - root.width / 8) < 1e-6)
    }

    @Test func rowZeroIsAtTheTop() throws {
        let top = WebMercatorQuad.lonLatBounds(try TileCoord(z: 1, x: 0, y: 0))
        #expect(top.minY > -1e-9 && abs(top.maxY - 85.0511287798066) < 1e-9)
    }

    @Test func outOfRangeAddressesNameTheBadPart() {
        #expect(throws: TileCoordError.zoomOutOfRange(25)) { try TileCoord(z: 25, x: 0, y: 0) }
        #expect(throws: TileCoordError.zoomOutOfRange(-1)) { try TileCoord(z: -1, x: 0, y: 0) }
        #expect(throws: TileCoordError.columnOutOfRange(x: 8, z: 3)) { try TileCoord(z: 3, x: 8, y: 0) }
        #expect(throws: TileCoordError.rowOutOfRange(y: -1, z: 3)) { try TileCoord(z: 3, x: 0, y: -1) }
    }

    @Test func unprojectInvertsProject() {
        let m = WebMercatorQuad.project(lon: 117.64, lat: 26.26)
        let p = WebMercatorQuad.unproject(m)
        #expect(abs(p.x - 117.64) < 1e-10 && abs(p.y - 26.26) < 1e-10)
    }
}
