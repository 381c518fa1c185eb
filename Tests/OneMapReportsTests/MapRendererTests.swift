import Foundation
import OneMapGeo
import OneMapStore
import Testing
@testable import OneMapReports

/// Server-drawn maps: the density choropleth follows the data, buildings follow the caller's view,
/// the scale bar measures the ground and the north arrow true north.
@Suite struct MapRendererTests {
    func scene(_ fixture: ReportFixture, views: [String: LayerView]? = nil, layers: [MapLayer] = MapLayer.allCases) throws -> MapScene {
        let request = try MapRequest.around(BBox(minX: 117.0, minY: 26.0, maxX: 118.0, maxY: 26.5), width: 800, height: 500,
                                            layers: layers, day: "2024-01-01")
        return try MapScene.load(request, store: fixture.store, views: try views ?? fixture.views())
    }

    /// The pixel of a lon/lat position.
    func at(_ scene: MapScene, _ lon: Double, _ lat: Double) throws -> (Int, Int) {
        let p = try Reprojector().transform(Position(lon, lat), from: .cgcs2000, to: scene.request.crs)
        let e = scene.request.extent, r = scene.request.resolution
        return (Int((p.x - e.minX) / r), Int((e.maxY - p.y) / r))
    }

    @Test func theDenserTownshipIsDrawnInADarkerDensityClass() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        let s = try scene(fixture, layers: [.populationDensity])
        #expect(s.densityLevel == "township")
        let west = try #require(s.areas.first { $0.name == "西镇" }?.density), east = try #require(s.areas.first { $0.name == "东乡" }?.density)
        // 200 and 3 people on about 2,780 km² each.
        #expect(abs(west - 200 / 2781) / west < 0.02 && abs(east - 3 / 2781) / east < 0.02)
        // Lighten the classes so both fall into different ones, then read the pixels.
        var style = MapStyle()
        style.densityClasses = [.init(value: 0, color: RGBA(css: "#ffffff")!), .init(value: 0.01, color: RGBA(css: "#ff0000")!)]
        let canvas = try MapRenderer.raster(s, style: style)
        let (wx, wy) = try at(s, 117.1, 26.45), (ex, ey) = try at(s, 117.9, 26.45)
        let w = canvas.pixel(wx, wy), e = canvas.pixel(ex, ey)
        #expect(w.r > 0.9 && w.g < 0.2, "west should be red, is \(w)")
        #expect(e.r > 0.9 && e.g > 0.9, "east should be white, is \(e)")
    }

    @Test func buildingsAreColouredByResidentsOnlyForCallersWhoSeeThem() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        var views = try fixture.views()
        let full = try scene(fixture, views: views, layers: [.buildings])
        #expect(full.buildings.count == 41 && full.buildingsShowPopulation && full.buildings.contains { $0.population == 5 })
        // The public view of buildings: no population field.
        let layer = try #require(try fixture.store.layer(id: "buildings"))
        views["buildings"] = LayerView(layer: layer, visible: layer.fields.indices.filter { layer.fields[$0].sensitivity == .public })
        let plain = try scene(fixture, views: views, layers: [.buildings])
        #expect(plain.buildings.count == 41 && !plain.buildingsShowPopulation && plain.buildings.allSatisfy { $0.population == nil })
        // Without a view of the layer nothing is drawn.
        views["buildings"] = nil
        #expect(try scene(fixture, views: views, layers: [.buildings]).buildings.isEmpty)
    }

    @Test func aPNGOfTheRequestedSizeComesOut() throws {
        let fixture = try ReportFixture()
        defer { fixture.remove() }
        let png = try MapRenderer.png(try scene(fixture), style: MapStyle())
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: width and height, big-endian.
        let w = png[16..<20].reduce(0) { $0 << 8 | Int($1) }, h = png[20..<24].reduce(0) { $0 << 8 | Int($1) }
        #expect(w == 800 && h == 500)
    }

    @Test func theScaleBarMeasuresTheGroundNotTheProjection() throws {
        // Web Mercator at 26.25°N stretches by 1/cos(lat): 1,000 map metres are ~897 m on the ground.
        let centre = try Reprojector().transform(Position(117.6, 26.25), from: .cgcs2000, to: .webMercator)
        let r = MapRequest(crs: .webMercator, extent: BBox(minX: centre.x - 500_000, minY: centre.y - 312_500, maxX: centre.x + 500_000, maxY: centre.y + 312_500),
                           width: 1000, height: 625, layers: [], day: "2024-01-01")
        let m = MapRenderer.groundResolution(r)
        #expect(abs(m - 1000 * cos(26.25 * .pi / 180)) < 5)
        #expect(MapRenderer.scaleLength(metresPerPixel: m, width: 1000) == 100_000)
        #expect(MapRenderer.scaleLength(metresPerPixel: 1.2, width: 800) == 100)
    }

    @Test func theNorthArrowFollowsTheMeridianConvergenceOfGaussKruger() throws {
        // East of the 117°E central meridian grid north lies east of true north: true north turns
        // anticlockwise by about (lon - 117°) * sin(lat).
        let p = try Reprojector().transform(Position(118.0, 26.25), from: .cgcs2000, to: .gk117)
        let r = MapRequest(crs: .gk117, extent: BBox(minX: p.x - 1000, minY: p.y - 1000, maxX: p.x + 1000, maxY: p.y + 1000),
                           width: 100, height: 100, layers: [], day: "2024-01-01")
        let degrees = MapRenderer.northAngle(r) * 180 / .pi
        #expect(abs(degrees + sin(26.25 * .pi / 180)) < 0.03, "convergence \(degrees)°")
        let mercator = MapRequest(crs: .webMercator, extent: BBox(minX: 0, minY: 3_000_000, maxX: 1000, maxY: 3_001_000), width: 100, height: 100,
                                  layers: [], day: "2024-01-01")
        #expect(abs(MapRenderer.northAngle(mercator)) < 1e-9)
    }

    @Test func requestsAreCheckedAndFittedToTheImage() throws {
        let r = try MapRequest.parse([("bbox", "117.5,26.2,117.7,26.3"), ("width", "800"), ("height", "400")])
        #expect(r.crs == .webMercator && abs(r.extent.width / r.extent.height - 2) < 1e-9)
        let gk = try MapRequest.parse([("bbox", "2900000,560000,2910000,570000"), ("crs", "http://www.opengis.net/def/crs/EPSG/0/4548")])
        #expect(gk.crs == .gk117 && gk.extent.minX <= 560_000 && gk.extent.maxY >= 2_910_000)
        func message(_ p: [(String, String)]) -> String {
            do { _ = try MapRequest.parse(p); return "" } catch { return error.description }
        }
        #expect(message([("width", "100")]).contains("'bbox' is required"))
        #expect(message([("bbox", "117,26,118,27"), ("width", "9000")]).contains("from 64 to 4096"))
        #expect(try MapRequest.parse([("bbox", "117,26,118,27"), ("layers", "admin_areas,clinics,clinics")]).collections == ["clinics"])
        #expect(message([("bbox", "117,26,118,27"), ("layers", "x;drop")]).contains("'x;drop' is not a layer name"))
        #expect(message([("bbox", "117,26,118,27"), ("zoom", "3")]).contains("unknown query parameter 'zoom'"))
    }

    @Test func theViewersStyleGivesThePrintedColours() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let data = try Data(contentsOf: root.appendingPathComponent("styles/onemap.json"))
        let style = MapStyle(styleJSON: data)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let layers = try #require(json["layers"] as? [[String: Any]])
        // Buildings with residents are coloured by the style's classes (one filtered layer each,
        // its lower bound the filter's >=), the others by their use (the base layer's match).
        let classes = layers.filter { ($0["id"] as? String)?.hasPrefix("buildings-residents-") == true }
        #expect(classes.count >= 2 && style.buildingRamp.count == classes.count)
        // The class that begins at 15 residents: its filter holds [">=", ["get", "population"], 15].
        let second = try #require(classes.first { l in
            ((l["filter"] as? [Any]) ?? []).contains { c in
                guard let c = c as? [Any], c.count == 3, c[0] as? String == ">=" else { return false }
                return (c[2] as? NSNumber)?.doubleValue == 15
            }
        })
        #expect(style.buildingColor(population: 20, use: "residential") == RGBA(css: (second["paint"] as! [String: Any])["fill-color"] as! String))
        let use = try #require((layers.first { $0["id"] as? String == "buildings-fill" }?["paint"] as? [String: Any])?["fill-color"] as? [Any])
        #expect(use.first as? String == "match")
        let commercial = try #require(use.firstIndex { ($0 as? [String]) == ["commercial"] })
        #expect(style.buildingColor(population: nil, use: "commercial") == RGBA(css: use[commercial + 1] as! String))
        #expect(style.buildingColor(population: nil, use: "unheard-of") == RGBA(css: use.last as! String))
        #expect(MapStyle(styleJSON: Data("not json".utf8)).buildingRamp.count == MapStyle().buildingRamp.count)
    }
}
