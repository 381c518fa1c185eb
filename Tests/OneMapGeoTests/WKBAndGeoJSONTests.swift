import Foundation
import OneMapGeo
import Testing

@Suite struct WKBAndGeoJSONTests {
    static let samples: [Geometry] = [
        .point(Position(117.64, 26.26)),
        .multiPoint([Position(1, 2), Position(-3.5, 4.25)]),
        .lineString([Position(0, 0), Position(1, 1), Position(2, 0)]),
        .multiLineString([[Position(0, 0), Position(1, 1)], [Position(5, 5), Position(6, 7)]]),
        .polygon([[Position(0, 0), Position(10, 0), Position(10, 10), Position(0, 10), Position(0, 0)],
                  [Position(2, 2), Position(2, 4), Position(4, 4), Position(2, 2)]]),
        .multiPolygon([[[Position(0, 0), Position(1, 0), Position(1, 1), Position(0, 0)]],
                       [[Position(5, 5), Position(6, 5), Position(6, 6), Position(5, 5)]]]),
        .geometryCollection([.point(Position(1, 1)), .lineString([Position(0, 0), Position(3, 3)])]),
    ]

    @Test(arguments: samples)
    func wkbRoundTripPreservesEveryCoordinate(_ g: Geometry) throws {
        #expect(try WKB.decode(WKB.encode(g)) == g)
    }

    @Test(arguments: samples)
    func geoJSONRoundTripPreservesEveryCoordinate(_ g: Geometry) throws {
        #expect(try GeoJSON.geometry(fromJSON: GeoJSON.string(g)) == g)
    }

    @Test func wkbPointHasTheStandardLayout() {
        // 01 (little endian) 01000000 (Point) then x, y as IEEE doubles.
        let bytes = WKB.encode(.point(Position(1, 2)))
        #expect(bytes.count == 21)
        #expect(Array(bytes[0..<5]) == [1, 1, 0, 0, 0])
        #expect(Array(bytes[5..<13]) == Array(withUnsafeBytes(of: 1.0.bitPattern.littleEndian) { Array($0) }))
    }

    @Test func bigEndianEWKBWithSRIDAndZIsRead() throws {
        // EWKB: big endian, type Point | Z flag | SRID flag, SRID 4490, x y z.
        var b: [UInt8] = [0]
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.bigEndian) { b += $0 } }
        func f64(_ v: Double) { withUnsafeBytes(of: v.bitPattern.bigEndian) { b += $0 } }
        u32(0xA000_0001); u32(4490); f64(117.5); f64(26.5); f64(300)
        #expect(try WKB.decode(b) == .point(Position(117.5, 26.5)))
    }

    @Test func isoWKBWithZDimensionIsRead() throws {
        var b: [UInt8] = [1]
        withUnsafeBytes(of: UInt32(1002).littleEndian) { b += $0 }  // LineString Z
        withUnsafeBytes(of: UInt32(2).littleEndian) { b += $0 }
        for v in [1.0, 2, 3, 4, 5, 6] { withUnsafeBytes(of: v.bitPattern.littleEndian) { b += $0 } }
        #expect(try WKB.decode(b) == .lineString([Position(1, 2), Position(4, 5)]))
    }

    @Test func truncatedWKBIsAnErrorNotACrash() {
        let full = WKB.encode(Self.samples[4])
        for n in [0, 1, 4, 9, 20, full.count - 1] {
            #expect(throws: GeometryCodingError.self) { try WKB.decode(Array(full.prefix(n))) }
        }
    }

    @Test func hugeCountInWKBIsRefused() {
        var b: [UInt8] = [1]
        withUnsafeBytes(of: UInt32(2).littleEndian) { b += $0 }
        withUnsafeBytes(of: UInt32.max.littleEndian) { b += $0 }
        #expect(throws: GeometryCodingError.self) { try WKB.decode(b) }
    }

    @Test(arguments: [
        (#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#, "not closed"),
        (#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#, "at least 4"),
        (#"{"type":"Pointy","coordinates":[0,0]}"#, "unknown GeoJSON geometry type"),
        (#"{"type":"Point","coordinates":["a",0]}"#, "two numbers"),
        (#"{"type":"Point","coordinates":[true,0]}"#, "two numbers"),
        (#"{"type":"LineString","coordinates":[[0,0]]}"#, "at least 2"),
        (#"{"type":"Point"}"#, "no \"coordinates\""),
        (#"{"type":"Point","coordinates":[0,0]"#, "malformed JSON"),
    ])
    func malformedGeoJSONIsRefusedWithTheReason(_ text: String, _ reason: String) {
        #expect {
            try GeoJSON.geometry(fromJSON: text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func bboxCoversAllPositions() {
        #expect(Self.samples[4].bbox == BBox(minX: 0, minY: 0, maxX: 10, maxY: 10))
    }
}

@Suite struct WKTTests {
    @Test(arguments: WKBAndGeoJSONTests.samples)
    func wktOfEverySampleParsesBack(_ g: Geometry) throws {
        #expect(try WKT.parse(Self.write(g)).geometry == g)
    }

    @Test func ewktSRIDAndZValuesAreHandled() throws {
        let r = try WKT.parse("SRID=4548;POLYGON Z ((563934 2905797 10, 563954 2905797 10, 563954 2905817 11, 563934 2905797 10))")
        #expect(r.srid == 4548)
        #expect(r.geometry == .polygon([[Position(563934, 2905797), Position(563954, 2905797), Position(563954, 2905817), Position(563934, 2905797)]]))
        #expect(try WKT.parse("multipoint (1 2, 3 4)").geometry == .multiPoint([Position(1, 2), Position(3, 4)]))
    }

    @Test(arguments: ["POLYGON ((1 2, 3 4)", "POINT (1)", "CIRCLE (1 2)", "POINT (1 2) extra", ""])
    func malformedWKTIsAnError(_ text: String) {
        #expect(throws: GeometryCodingError.self) { try WKT.parse(text) }
    }

    /// A straightforward WKT writer for the round trip (the product only reads WKT).
    static func write(_ g: Geometry) -> String {
        func pos(_ p: Position) -> String { "\(p.x) \(p.y)" }
        func line(_ ps: [Position]) -> String { "(" + ps.map(pos).joined(separator: ", ") + ")" }
        func rings(_ rs: [[Position]]) -> String { "(" + rs.map(line).joined(separator: ", ") + ")" }
        switch g {
        case .point(let p): return "POINT (\(pos(p)))"
        case .multiPoint(let ps): return "MULTIPOINT (" + ps.map { "(\(pos($0)))" }.joined(separator: ", ") + ")"
        case .lineString(let l): return "LINESTRING " + line(l)
        case .multiLineString(let ls): return "MULTILINESTRING " + rings(ls)
        case .polygon(let p): return "POLYGON " + rings(p)
        case .multiPolygon(let ps): return "MULTIPOLYGON (" + ps.map(rings).joined(separator: ", ") + ")"
        case .geometryCollection(let gs): return "GEOMETRYCOLLECTION (" + gs.map(write).joined(separator: ", ") + ")"
        }
    }
}

/// Hostile geometry text is refused with a reason instead of crashing or passing as valid.
@Suite struct HostileGeometryTextTests {
    @Test func polygonRingsMustBeClosedAndHaveFourPositions() throws {
        #expect(throws: GeometryCodingError.self) { try WKT.parse("POLYGON((1 2, 3 4))") }
        #expect(throws: GeometryCodingError.self) { try WKT.parse("POLYGON((0 0, 1 0, 1 1, 0 1))") }
        #expect(throws: GeometryCodingError.self) { try WKT.parse("MULTIPOLYGON(((0 0, 1 0, 0 0)))") }
        let ok = try WKT.parse("POLYGON((0 0, 1 0, 1 1, 0 0))").geometry
        #expect(ok.positionCount == 4)
    }

    @Test func nestingIsBoundedInWKTAndJSON() throws {
        let deepWKT = String(repeating: "GEOMETRYCOLLECTION(", count: 5000) + "POINT(1 2)" + String(repeating: ")", count: 5000)
        #expect(throws: GeometryCodingError.self) { try WKT.parse(deepWKT) }
        #expect(throws: FastJSONError.self) { try FastJSONParser.parse(String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)) }
        let fine = try FastJSONParser.parse(String(repeating: "[", count: 100) + String(repeating: "]", count: 100))
        if case .array = fine {} else { Issue.record("100 levels are fine") }
    }
}
