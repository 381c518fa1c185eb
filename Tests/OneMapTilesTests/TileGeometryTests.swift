import OneMapGeo
@testable import OneMapTiles
import Testing

@Suite struct TileGeometryTests {
    // A z14 tile over Sanming, and helpers to place lon/lat at tile-unit positions.
    let tile = try! TileCoord(z: 14, x: 13545, y: 6952)
    var builder: TileGeometryBuilder { TileGeometryBuilder(tile: tile, extent: 4096, buffer: 64, tolerance: 0) }

    /// The lon/lat of tile position (u, v) in extent units.
    func lonLat(_ u: Double, _ v: Double) -> Position {
        let b = WebMercatorQuad.bounds(tile)
        return WebMercatorQuad.unproject(Position(b.minX + u / 4096 * b.width, b.maxY - v / 4096 * b.height))
    }

    func square(_ u0: Double, _ v0: Double, _ u1: Double, _ v1: Double, ccw: Bool = true) -> [Position] {
        // Oriented counter-clockwise in lon/lat (y up) when `ccw`, clockwise otherwise.
        var r = [lonLat(u0, v0), lonLat(u0, v1), lonLat(u1, v1), lonLat(u1, v0)]
        if (Planar.signedArea(r + [r[0]]) < 0) == ccw { r.reverse() }
        return r + [r[0]]
    }

    func rings(_ g: TileGeometry?) -> [[TilePoint]] {
        guard case .polygons(let r)? = g else { return [] }
        return r
    }

    @Test func polygonInsideIsQuantisedWithoutClosingPointAndPositiveArea() throws {
        let g = try builder.build(.polygon([square(100, 100, 200, 300)]), engine: GeometryEngine())
        let r = rings(g)
        #expect(r.count == 1)
        #expect(r[0].count == 4)
        #expect(Set(r[0]) == [TilePoint(100, 100), TilePoint(100, 300), TilePoint(200, 300), TilePoint(200, 100)])
        #expect(TileGeometryBuilder.signedArea(r[0]) > 0)
    }

    @Test func holesAreWoundOppositeToTheExterior() throws {
        // Input deliberately with the "wrong" orientations: the builder must fix both.
        let poly: Polygon = [square(0, 0, 1000, 1000, ccw: false), square(200, 200, 400, 400, ccw: true)]
        let r = rings(try builder.build(.polygon(poly), engine: GeometryEngine()))
        #expect(r.count == 2)
        #expect(TileGeometryBuilder.signedArea(r[0]) > 0)
        #expect(TileGeometryBuilder.signedArea(r[1]) < 0)
    }

    @Test func clippingAtAnEdgeStopsAtTheBuffer() throws {
        let r = rings(try builder.build(.polygon([square(4000, 1000, 5000, 2000)]), engine: GeometryEngine()))
        #expect(r.count == 1)
        let xs = r[0].map(\.x)
        #expect(xs.max() == 4096 + 64 && xs.min() == 4000)
    }

    @Test func clippingAtACornerKeepsTheCornerSquare() throws {
        let r = rings(try builder.build(.polygon([square(-1000, -1000, 100, 100)]), engine: GeometryEngine()))
        #expect(r.count == 1)
        #expect(Set(r[0]) == [TilePoint(-64, -64), TilePoint(-64, 100), TilePoint(100, 100), TilePoint(100, -64)])
        #expect(TileGeometryBuilder.signedArea(r[0]) > 0)
    }

    @Test func polygonCoveringTheTileBecomesTheBufferedSquare() throws {
        let r = rings(try builder.build(.polygon([square(-9000, -9000, 9000, 9000)]), engine: GeometryEngine()))
        #expect(Set(r[0]) == [TilePoint(-64, -64), TilePoint(-64, 4160), TilePoint(4160, 4160), TilePoint(4160, -64)])
    }

    @Test func holeCrossingTheEdgeIsClippedToo() throws {
        let poly: Polygon = [square(3000, 1000, 6000, 3000), square(4000, 1500, 5000, 2500, ccw: false)]
        let r = rings(try builder.build(.polygon(poly), engine: GeometryEngine()))
        // The hole crosses the buffered edge: the exterior becomes a C shape, no hole ring remains.
        #expect(r.count == 1)
        #expect(r.allSatisfy { $0.allSatisfy { $0.x <= 4160 } })
    }

    @Test func featuresOutsideTheBufferedTileAreNil() throws {
        #expect(try builder.build(.polygon([square(5000, 5000, 6000, 6000)]), engine: GeometryEngine()) == nil)
        #expect(try builder.build(.point(lonLat(-100, 50)), engine: GeometryEngine()) == nil)
        #expect(try builder.build(.lineString([lonLat(5000, 0), lonLat(6000, 100)]), engine: GeometryEngine()) == nil)
    }

    @Test func degenerateRingsAreDroppedAfterQuantisation() throws {
        // A footprint smaller than one tile unit collapses to a point: no geometry.
        let tiny = [lonLat(10, 10), lonLat(10.2, 10), lonLat(10.2, 10.2), lonLat(10, 10)]
        #expect(try builder.build(.polygon([tiny]), engine: GeometryEngine()) == nil)
    }

    @Test func repeatedPointsAreRemoved() {
        let q = builder.quantise([Position(1.1, 1.1), Position(0.9, 1.0), Position(5, 5), Position(5.2, 4.9), Position(1, 1)])
        #expect(q == [TilePoint(1, 1), TilePoint(5, 5), TilePoint(1, 1)])
    }

    @Test func lineCrossingTheTileIsClippedToTheBuffer() throws {
        let g = try builder.build(.lineString([lonLat(-500, 2048), lonLat(5000, 2048)]), engine: GeometryEngine())
        guard case .lines(let ls)? = g else { Issue.record("no line"); return }
        #expect(ls[0].map(\.x).min() == -64 && ls[0].map(\.x).max() == 4160)
    }

    /// The decoded polygons of tile rings (exterior by positive area, then its holes), as GEOS sees them.
    func decoded(_ rings: [[TilePoint]]) -> Geometry {
        var polys: [Polygon] = []
        for r in rings {
            let ring = (r + [r[0]]).map { Position(Double($0.x), Double($0.y)) }
            if TileGeometryBuilder.signedArea(r) > 0 { polys.append([ring]) } else { polys[polys.count - 1].append(ring) }
        }
        return .multiPolygon(polys)
    }

    @Test func aVertexRoundedOntoAnotherEdgeIsRepairedToAValidPolygon() throws {
        // A V whose tip is 0.4 units above the bottom edge: valid in floats, but rounding puts the
        // tip on the edge (a self-touching ring, as 大田县 at 12/3387/1739 had).
        let ring = [lonLat(100, 100), lonLat(300, 100), lonLat(300, 300), lonLat(200.3, 100.4), lonLat(100, 300), lonLat(100, 100)]
        let engine = GeometryEngine()
        #expect(try engine.validity(.polygon([ring])).isValid)
        let naive = TileGeometryBuilder.wound([[builder.quantise(ring.map(builder.project))]])
        #expect(try engine.validity(decoded(naive)).isValid == false)
        #expect(!QuantisedRingCheck.edgesMeetOnlyAtNeighbours(naive))

        let r = rings(try builder.build(.polygon([ring]), engine: engine))
        #expect(!r.isEmpty)
        let v = try engine.validity(decoded(r))
        #expect(v.isValid, "\(v.reason ?? "")")
        #expect(r.allSatisfy { TileGeometryBuilder.signedArea($0) != 0 })
    }

    @Test func twoPartsRoundedOntoEachOtherBecomeOneValidPolygon() throws {
        // Two squares 0.3 units apart: after rounding they would share an edge.
        let poly: [Polygon] = [[square(100, 100, 200, 200)], [square(200.3, 100, 300, 200)]]
        let engine = GeometryEngine()
        let r = rings(try builder.build(.multiPolygon(poly), engine: engine))
        #expect(try engine.validity(decoded(r)).isValid)
        #expect(r.count == 1)
    }

    @Test func theExactCheckPassesSimpleRingsAndCatchesTouchesAndSpikes() {
        let square = [TilePoint(0, 0), TilePoint(10, 0), TilePoint(10, 10), TilePoint(0, 10)]
        let hole = [TilePoint(2, 2), TilePoint(2, 8), TilePoint(8, 8), TilePoint(8, 2)]
        #expect(QuantisedRingCheck.edgesMeetOnlyAtNeighbours([square, hole]))
        // A hole touching the shell, a spike folding back, and a bow tie.
        #expect(!QuantisedRingCheck.edgesMeetOnlyAtNeighbours([square, [TilePoint(0, 5), TilePoint(5, 8), TilePoint(5, 2)]]))
        #expect(!QuantisedRingCheck.edgesMeetOnlyAtNeighbours([[TilePoint(0, 0), TilePoint(10, 0), TilePoint(5, 0), TilePoint(5, 5)]]))
        #expect(!QuantisedRingCheck.edgesMeetOnlyAtNeighbours([[TilePoint(0, 0), TilePoint(10, 10), TilePoint(10, 0), TilePoint(0, 10)]]))
    }

    @Test func douglasPeuckerRemovesSmallWiggles() {
        let b = TileGeometryBuilder(tile: tile, tolerance: 2)
        let ring = (0...20).map { Position(Double($0) * 10, $0 % 2 == 0 ? 0 : 1) } + [Position(200, 100), Position(0, 0)]
        let s = b.simplify(ring)
        #expect(s.count < ring.count && s.first == ring.first && s.last == ring.last)
    }
}
