import OneMapGeo
import OneMapStore
@testable import OneMapTiles
import Testing

@Suite struct MVTEncoderTests {
    @Test func zigzagMapsSignedToUnsigned() {
        #expect(ProtobufWriter.zigzag(0) == 0)
        #expect(ProtobufWriter.zigzag(-1) == 1)
        #expect(ProtobufWriter.zigzag(1) == 2)
        #expect(ProtobufWriter.zigzag(-2) == 3)
        #expect(ProtobufWriter.zigzag(2147483647) == 4294967294)
        #expect(ProtobufWriter.zigzag(-2147483648) == 4294967295)
    }

    @Test func commandIntegersFollowTheSpec() {
        // Spec 4.3.1: MoveTo(1) count 1 = 9, LineTo(2) count 3 = 26, ClosePath(7) count 1 = 15.
        #expect(MVTEncoder.command(1, 1) == 9)
        #expect(MVTEncoder.command(2, 3) == 26)
        #expect(MVTEncoder.command(7, 1) == 15)
    }

    @Test func pointExampleFromTheSpec() {
        // Spec 4.3.5.1: a point at (25, 17) encodes as [9, 50, 34].
        #expect(MVTEncoder.commands(.points([TilePoint(25, 17)])) == [9, 50, 34])
    }

    @Test func lineExampleFromTheSpec() {
        // Spec 4.3.5.3 (first part): LineString (2,2) (2,10) (10,10) -> [9, 4, 4, 18, 0, 16, 16, 0].
        let c = MVTEncoder.commands(.lines([[TilePoint(2, 2), TilePoint(2, 10), TilePoint(10, 10)]]))
        #expect(c == [9, 4, 4, 18, 0, 16, 16, 0])
    }

    @Test func polygonExampleFromTheSpec() {
        // Spec 4.3.5.5: Polygon (3,6) (8,12) (20,34) -> [9, 6, 12, 18, 10, 12, 24, 44, 15].
        let c = MVTEncoder.commands(.polygons([[TilePoint(3, 6), TilePoint(8, 12), TilePoint(20, 34)]]))
        #expect(c == [9, 6, 12, 18, 10, 12, 24, 44, 15])
    }

    @Test func multiPolygonCursorCarriesAcrossRings() {
        // Second ring's MoveTo is relative to the first ring's last point (spec 4.3.5.7).
        let c = MVTEncoder.commands(.polygons([
            [TilePoint(0, 0), TilePoint(10, 0), TilePoint(10, 10)],
            [TilePoint(11, 11), TilePoint(20, 11), TilePoint(20, 20)],
        ]))
        #expect(c[8] == 15)  // ClosePath of the first ring
        #expect(Array(c[9..<12]) == [9, ProtobufWriter.zigzag(1), ProtobufWriter.zigzag(1)])
    }

    @Test func layerDeduplicatesKeysAndValuesAndSkipsNulls() throws {
        var layer = MVTLayerEncoder(name: "buildings")
        for i in 0..<3 {
            layer.add(id: UInt64(i), geometry: .points([TilePoint(Int32(i), 0)]),
                      properties: [("use", .string("residential")), ("floors", .int(3)), ("demolished", .null)])
        }
        let decoded = try MiniMVTDecoder.decodeLayer(layer.encoded())
        #expect(decoded.name == "buildings")
        #expect(decoded.version == 2 && decoded.extent == 4096)
        #expect(decoded.keys == ["use", "floors"])
        #expect(decoded.values.count == 2)
        #expect(decoded.featureIDs == [0, 1, 2])
        #expect(decoded.tags[0] == [0, 0, 1, 1])
    }

    @Test func emptyLayersAreLeftOutAndAnEmptyTileIsZeroBytes() {
        #expect(MVTEncoder.tile([MVTLayerEncoder(name: "a"), MVTLayerEncoder(name: "b")]).isEmpty)
    }

    @Test func valueTypesUseTheMatchingFields() throws {
        var layer = MVTLayerEncoder(name: "v")
        layer.add(id: 1, geometry: .points([TilePoint(1, 1)]),
                  properties: [("s", .string("三明")), ("u", .int(7)), ("n", .int(-7)), ("d", .double(1.5)), ("b", .bool(true))])
        let decoded = try MiniMVTDecoder.decodeLayer(layer.encoded())
        #expect(decoded.values == [.string("三明"), .uint(7), .sint(-7), .double(1.5), .bool(true)])
    }
}
