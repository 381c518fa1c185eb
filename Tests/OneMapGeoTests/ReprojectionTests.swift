import OneMapGeo
import Testing

@Suite struct ReprojectionTests {
    let sanming = Position(117.64, 26.26)

    @Test func sanmingInWebMercator() throws {
        let p = try Reprojector().transform(sanming, from: .cgcs2000, to: .webMercator)
        #expect(abs(p.x - 13095624.8969) < 0.001)
        #expect(abs(p.y - 3031318.8560) < 0.001)
    }

    @Test func sanmingInGaussKruger117IsEastingThenNorthing() throws {
        let p = try Reprojector().transform(sanming, from: .cgcs2000, to: .gk117)
        #expect(abs(p.x - 563934.446) < 0.001)
        #expect(abs(p.y - 2905797.961) < 0.001)
    }

    @Test func roundTripThroughEveryCRSReturnsTheStart() throws {
        let r = Reprojector()
        for crs in [CRS.wgs84, .webMercator, .gk117, .gk120] {
            let there = try r.transform(sanming, from: .cgcs2000, to: crs)
            let back = try r.transform(there, from: crs, to: .cgcs2000)
            #expect(abs(back.x - sanming.x) < 1e-8 && abs(back.y - sanming.y) < 1e-8, "\(crs)")
        }
    }

    @Test func easternSanmingInZone120HasEastingBelowHalfAMillion() throws {
        // 118.6E lies west of the 120E central meridian: easting < 500 000 m.
        let p = try Reprojector().transform(Position(118.6, 26.0), from: .cgcs2000, to: .gk120)
        #expect(p.x < 500_000 && p.x > 300_000)
    }

    @Test func webMercatorMathMatchesPROJ() throws {
        let r = Reprojector()
        for (lon, lat) in [(116.4, 25.5), (117.64, 26.26), (118.67, 27.1), (0.0, 0.0), (-70.0, -33.0)] {
            let proj = try r.transform(Position(lon, lat), from: .wgs84, to: .webMercator)
            let mine = WebMercatorQuad.project(lon: lon, lat: lat)
            #expect(abs(proj.x - mine.x) < 1e-6 && abs(proj.y - mine.y) < 1e-6)
        }
    }

    @Test func geometryTransformKeepsStructure() throws {
        let g = Geometry.polygon([[Position(117, 26), Position(118, 26), Position(118, 27), Position(117, 26)]])
        let t = try Reprojector().transform(g, from: .cgcs2000, to: .webMercator)
        guard case .polygon(let rings) = t else { Issue.record("not a polygon"); return }
        #expect(rings[0].count == 4 && rings[0].first == rings[0].last)
    }

    @Test(arguments: ["EPSG:4490", "4548", "http://www.opengis.net/def/crs/EPSG/0/4549", "urn:ogc:def:crs:EPSG::3857", "CRS84"])
    func crsNamesParse(_ text: String) {
        #expect(CRS.parse(text) != nil)
    }

    @Test(arguments: ["EPSG:2000", "EPSG:", "banana", ""])
    func unknownCRSNamesDoNot(_ text: String) {
        #expect(CRS.parse(text) == nil)
    }
}
