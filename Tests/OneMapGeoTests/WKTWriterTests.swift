import Testing
@testable import OneMapGeo

/// WKT written for CSV exports reads back as the same geometry, x before y.
@Suite struct WKTWriterTests {
    @Test func everyGeometryTypeReadsBackTheSame() throws {
        let ring = [Position(117.5, 26.2), Position(117.6, 26.2), Position(117.6, 26.3), Position(117.5, 26.2)]
        let geometries: [Geometry] = [
            .point(Position(117.123456789, 26.5)), .multiPoint([Position(1, 2), Position(3, 4)]), .lineString([Position(1, 2), Position(3.25, 4)]),
            .multiLineString([[Position(1, 2), Position(3, 4)], [Position(5, 6), Position(7, 8)]]), .polygon([ring]), .multiPolygon([[ring], [ring]]),
            .geometryCollection([.point(Position(1, 2)), .lineString([Position(1, 2), Position(3, 4)])]),
        ]
        for g in geometries { #expect(try WKT.parse(WKT.write(g)).geometry == g) }
        #expect(WKT.write(.point(Position(117.12345678, 26.5)), precision: 7) == "POINT (117.1234568 26.5)")
        #expect(WKT.write(.polygon([ring])) == "POLYGON ((117.5 26.2, 117.6 26.2, 117.6 26.3, 117.5 26.2))")
    }
}
