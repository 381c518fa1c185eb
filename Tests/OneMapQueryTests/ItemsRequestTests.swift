import Foundation
import OneMapGeo
import OneMapQuery
import OneMapStore
import Testing

/// OGC API items parameters: what is accepted, what is refused with a message naming it, and how
/// boxes in other CRSs and axis orders become lon/lat boxes.
@Suite struct ItemsRequestTests {
    static let layer = CoreLayers.buildings

    func parse(_ p: [(String, String)]) throws(QueryError) -> ItemsRequest {
        try ItemsRequest.parse(p, layer: Self.layer, filterable: Self.layer.fields)
    }

    @Test func defaultsAreTenFeaturesInCRS84AsOfToday() throws {
        let r = try parse([])
        #expect(r.limit == 10 && r.query.offset == 0 && r.query.bbox == nil && r.query.equals.isEmpty)
        #expect(r.outputCRS == .crs84 && r.query.time == .today())
    }

    @Test func limitIsClampedAndBadValuesAreRefused() throws {
        #expect(try parse([("limit", "50000")]).limit == 10_000)
        for bad in ["0", "-3", "ten", ""] {
            #expect(throws: QueryError.self) { try parse([("limit", bad)]) }
        }
        #expect(throws: QueryError("offset '-1' must be a whole number from 0")) { try parse([("offset", "-1")]) }
    }

    @Test func unknownParametersAndRepeatedOnesAreRefused() throws {
        do { _ = try parse([("colour", "red")]); Issue.record("accepted") } catch {
            #expect(error.description.contains("unknown query parameter 'colour'") && error.description.contains("entity_code"))
        }
        #expect(throws: QueryError("parameter 'limit' is given more than once, with different values")) { try parse([("limit", "1"), ("limit", "2")]) }
        // Repeated with the same value (QGIS appends its connection's query to `next` links): one parameter.
        #expect(try parse([("datetime", "2025-01-01"), ("limit", "5"), ("datetime", "2025-01-01")]).limit == 5)
    }

    @Test func propertyFiltersAreTypedByTheField() throws {
        let r = try parse([("use", "residential"), ("floors", "6")])
        #expect(r.query.equals == [PropertyEquals(field: "use", value: .string("residential")), PropertyEquals(field: "floors", value: .int(6))])
        do { _ = try parse([("floors", "six")]); Issue.record("accepted") } catch {
            #expect(error.description.contains("'six'") && error.description.contains("floors"))
        }
    }

    @Test func bboxInCRS84IsLonLatAndInEPSG4490IsLatLon() throws {
        let a = try parse([("bbox", "117.5,26.1,117.7,26.3")]).query.bbox
        #expect(a == BBox(minX: 117.5, minY: 26.1, maxX: 117.7, maxY: 26.3))
        let b = try parse([("bbox", "26.1,117.5,26.3,117.7"), ("bbox-crs", "http://www.opengis.net/def/crs/EPSG/0/4490")]).query.bbox
        #expect(b == a)
    }

    @Test func bboxInGaussKrugerCoversTheSameGround() throws {
        // Sanming's centre in EPSG:4548 (northing, easting), 2 km across.
        var centre = [Position(117.6, 26.25)]
        try Reprojector().transform(&centre, from: .cgcs2000, to: .gk117)
        let e = centre[0].x, n = centre[0].y
        let text = "\(n - 1000),\(e - 1000),\(n + 1000),\(e + 1000)"
        let box = try #require(try parse([("bbox", text), ("bbox-crs", "EPSG:4548")]).query.bbox)
        #expect(box.contains(Position(117.6, 26.25)))
        #expect(abs((box.maxX - box.minX) - 2000 / (111_320 * cos(26.25 * .pi / 180))) < 0.0005)
        #expect(abs((box.maxY - box.minY) - 2000 / 110_574) < 0.0005)
    }

    @Test(arguments: ["1,2,3", "a,b,c,d", "117.7,26.1,117.5,26.3", "117.5,26.3,117.7,26.1", "190,0,191,1"])
    func badBoxesAreRefused(text: String) {
        #expect(throws: QueryError.self) { try parse([("bbox", text)]) }
    }

    @Test func crsAndDatetimeAreChecked() throws {
        #expect(try parse([("crs", "http://www.opengis.net/def/crs/EPSG/0/3857")]).outputCRS.crs == .webMercator)
        do { _ = try parse([("crs", "EPSG:2000")]); Issue.record("accepted") } catch { #expect(error.description.contains("CRS84")) }
        #expect(throws: QueryError.self) { try parse([("bbox-crs", "EPSG:4490")]) }
        #expect(try parse([("datetime", "2020-01-01/..")]).query.time == TimeFilter(start: "2020-01-01", end: nil))
        #expect(throws: QueryError.self) { try parse([("datetime", "yesterday")]) }
    }

    @Test func sortbyAndPropertiesNameKnownProperties() throws {
        let r = try parse([("sortby", "-floors, +use,built_date"), ("properties", "entity_code,floors")])
        #expect(r.query.sortBy.map(\.field) == ["floors", "use", "built_date"] && r.query.sortBy.map(\.ascending) == [false, true, true])
        #expect(r.properties == ["entity_code", "floors"])
        do { _ = try parse([("sortby", "-height")]); Issue.record("accepted") } catch { #expect(error.description.contains("no property 'height'")) }
        do { _ = try parse([("properties", "floors,colour")]); Issue.record("accepted") } catch { #expect(error.description.contains("no property 'colour'")) }
    }

    @Test func personalValuesAreMaskedInTheMiddle() {
        #expect(FieldMask.masked(.string("18012340689")) == .string("180****0689"))
        #expect(FieldMask.masked(.string("张三")) == .string("****"))
        #expect(FieldMask.masked(.null) == .null)
    }
}

/// CQL2 text into filters: the grammar's precedence, literals, spatial and temporal functions, and
/// errors that say where.
@Suite struct CQL2TextTests {
    @Test func basicComparisonsAndPrecedence() throws {
        let e = try CQL2Text.parse("use = 'shop' OR floors > 3 AND NOT \"built_date\" < DATE('2020-01-01')")
        #expect(e == .or([.compare("=", .property("use"), .text("shop")),
                          .and([.compare(">", .property("floors"), .number(3)),
                                .not(.compare("<", .property("built_date"), .day("2020-01-01")))])]))
        #expect(try CQL2Text.parse("(a = 1 OR b = 2) AND c <> -2.5") == .and([.or([.compare("=", .property("a"), .number(1)), .compare("=", .property("b"), .number(2))]),
                                                                              .compare("<>", .property("c"), .number(-2.5))]))
    }

    @Test func likeBetweenInAndNull() throws {
        #expect(try CQL2Text.parse("name LIKE 'B35%'") == .like(.property("name"), "B35%"))
        #expect(try CQL2Text.parse("floors NOT BETWEEN 2 AND 5") == .not(.between(.property("floors"), .number(2), .number(5))))
        #expect(try CQL2Text.parse("use IN ('a', 'it''s')") == .inList(.property("use"), [.text("a"), .text("it's")]))
        #expect(try CQL2Text.parse("demolished_date IS NOT NULL") == .not(.isNull(.property("demolished_date"))))
    }

    @Test func spatialLiteralsAreReprojectedToLonLat() throws {
        let box = try CQL2Text.parse("S_INTERSECTS(geometry, BBOX(117.6, 26.2, 117.7, 26.3))")
        guard case .spatial(.intersects, let g) = box else { Issue.record("\(box)"); return }
        #expect(g.bbox == BBox(minX: 117.6, minY: 26.2, maxX: 117.7, maxY: 26.3))
        // EPSG:4490 literals are latitude first.
        let lat = try CQL2Text.parse("S_WITHIN(geometry, POINT(26.25 117.65))", crs: APICRS.parse("EPSG:4490")!)
        #expect(lat == .spatial(.within, .point(Position(117.65, 26.25))))
        // EPSG:4548 literals are northing, easting (the CRS's axis order, as for bbox).
        let gk = try CQL2Text.parse("S_INTERSECTS(geometry, POINT(2901337.9 557960.3))", crs: APICRS.parse("EPSG:4548")!)
        guard case .spatial(_, .point(let p)) = gk else { Issue.record("\(gk)"); return }
        #expect(abs(p.x - 117.58) < 1e-5 && abs(p.y - 26.22) < 1e-5)
    }

    @Test func temporalIntersects() throws {
        #expect(try CQL2Text.parse("T_INTERSECTS(built_date, INTERVAL('2010-01-01', '..'))") == .temporalIntersects(.property("built_date"), start: "2010-01-01", end: nil))
        #expect(try CQL2Text.parse("T_INTERSECTS(valid_time, TIMESTAMP('2020-06-01T08:00:00Z'))") == .temporalIntersects(.validTime, start: "2020-06-01", end: "2020-06-01"))
    }

    @Test(arguments: [("floors >", "at the end"), ("floors = 'x", "unterminated string"), ("S_CROSSES(geometry, POINT(1 2))", "S_CROSSES is not supported"),
                      ("a = 1 b = 2", "unexpected 'b'"), ("S_INTERSECTS(POINT(1 2), POINT(3 4))", "feature's geometry"),
                      ("T_INTERSECTS(built_date, '2020')", "DATE, TIMESTAMP or INTERVAL"), ("", "empty"), ("x # 2", "unexpected '#'")])
    func errorsSayWhatAndWhere(text: String, words: String) {
        do { _ = try CQL2Text.parse(text); Issue.record("accepted \(text)") } catch { #expect(error.description.contains(words), "\(error.description)") }
    }
}
