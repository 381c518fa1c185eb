import OneMapGeo
import Testing

@Suite struct GEOSBridgeTests {
    let square = Geometry.polygon([[Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10), Position(0, 0)]])

    @Test func clipByRectangleKeepsTheOverlap() throws {
        let e = GeometryEngine()
        let clipped = try #require(try e.clip(square, to: BBox(minX: 5, minY: 5, maxX: 20, maxY: 20)))
        #expect(try e.area(clipped) == 25)
        #expect(try e.clip(square, to: BBox(minX: 50, minY: 50, maxX: 60, maxY: 60)) == nil)
    }

    @Test func makeValidRepairsABowtie() throws {
        let e = GeometryEngine()
        let bowtie = Geometry.polygon([[Position(0, 0), Position(10, 10), Position(10, 0), Position(0, 10), Position(0, 0)]])
        let v = try e.validity(bowtie)
        #expect(!v.isValid)
        #expect(v.reason?.contains("Self-intersection") == true)
        let fixed = try #require(try e.makeValid(bowtie))
        #expect(try e.validity(fixed).isValid)
        #expect(abs(try e.area(fixed) - 50) < 1e-9)
    }

    @Test func simplifyDropsNearlyCollinearVertices() throws {
        let e = GeometryEngine()
        let wiggly = Geometry.lineString([Position(0, 0), Position(1, 0.01), Position(2, 0), Position(3, 0.01), Position(4, 0)])
        let s = try #require(try e.simplify(wiggly, tolerance: 0.1))
        #expect(s == .lineString([Position(0, 0), Position(4, 0)]))
    }

    @Test func preparedContainsAndIntersects() throws {
        let e = GeometryEngine()
        let p = try e.prepare(square)
        #expect(p.contains(Position(5, 5)))
        #expect(!p.contains(Position(15, 5)))
        #expect(!p.contains(Position(10, 5)))  // boundary is not interior
        #expect(try p.intersects(.lineString([Position(-5, 5), Position(5, 5)])))
        #expect(try !p.intersects(.point(Position(11, 11))))
    }

    @Test func voronoiCellsPartitionTheEnvelope() throws {
        let e = GeometryEngine()
        let sites = [Position(1, 1), Position(8, 2), Position(5, 8)]
        let cells = try e.voronoiCells(sites: sites, envelope: BBox(minX: 0, minY: 0, maxX: 10, maxY: 10))
        #expect(cells.count == 3)
        let clipped = try cells.compactMap { try e.intersection($0, square) }
        let total = try clipped.reduce(0) { $0 + (try e.area($1)) }
        #expect(abs(total - 100) < 1e-9)
    }

    @Test func invalidInputIsAnErrorWithGEOSMessage() throws {
        let e = GeometryEngine()
        // A ring that is not closed cannot be built by GEOS.
        let open = Geometry.polygon([[Position(0, 0), Position(1, 0), Position(1, 1)]])
        #expect(throws: GEOSError.self) { _ = try e.area(open) }
    }
}
