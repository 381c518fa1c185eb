import Foundation
import OneMapGeo
@testable import OneMapIngest
import OneMapQuery
import OneMapStore
import OneMapSpatiaLite
import Testing

/// `/stats` figures equal a brute force over the same demo: for random polygons with holes, across
/// county borders, sent in EPSG:4548, every building standing that day whose footprint centroid
/// lies in the area is counted with its residents and businesses of that day.
@Suite struct AreaStatisticsTests {
    struct Building { let centroid: Position; let people: Int; let businesses: Int; let use: String }

    static func buildings(_ store: SpatiaLiteStore, on day: String) throws -> [Building] {
        var out: [Building] = []
        try store.features(layer: "buildings", intersecting: BBox(minX: 110, minY: 20, maxX: 125, maxY: 30), during: .instant(day), limit: nil) { b in
            guard case .polygon(let rings) = b.geometry, case .int(let people) = b.values[5], case .int(let firms) = b.values[6],
                  case .string(let use) = b.values[2] else { return }
            out.append(Building(centroid: Planar.centroid(rings[0]), people: Int(people), businesses: Int(firms), use: use))
        }
        return out
    }

    /// A star-shaped ring around `c` (radius `r` metres, `n` vertices), counter-clockwise, with a
    /// clockwise hole of a third of its size.
    static func polygon(around c: Position, radius r: Double, using rng: inout DemoRandom) -> [[Position]] {
        let m = PointInPolygon.metresPerDegree(atLatitude: c.y)
        func ring(_ scale: Double, clockwise: Bool) -> [Position] {
            var pts = (0..<24).map { k -> Position in
                let a = Double(k) / 24 * 2 * .pi * (clockwise ? -1 : 1)
                let d = r * scale * Double.random(in: 0.7...1.0, using: &rng)
                return Position(c.x + d * cos(a) / m.x, c.y + d * sin(a) / m.y)
            }
            pts.append(pts[0])
            return pts
        }
        return [ring(1, clockwise: false), ring(0.3, clockwise: true)]
    }

    @Test func randomPolygonsInGaussKrugerMatchABruteForce() throws {
        let demo = try DemoDatabase(scale: 0.02)
        var rng = DemoRandom(seed: 2024)
        for (trial, day) in ["2024-06-01", "2015-03-01", "2024-06-01", "2020-11-01", "2024-06-01", "2010-01-01"].enumerated() {
            let all = try Self.buildings(demo.store, on: day)
            // Centres in and around 三元区 (county borders within reach), radius 2-25 km.
            let centre = Position(117.45 + Double.random(in: 0...0.35, using: &rng), 26.1 + Double.random(in: 0...0.3, using: &rng))
            let rings = Self.polygon(around: centre, radius: Double.random(in: 2_000...25_000, using: &rng), using: &rng)
            // The request carries the polygon in EPSG:4548 (easting, northing).
            var projected: [[[Double]]] = []
            for ring in rings {
                var r = ring
                try Reprojector().transform(&r, from: .cgcs2000, to: .gk117)
                projected.append(r.map { [$0.x, $0.y] })
            }
            let body: [String: Any] = ["area": ["type": "Polygon", "coordinates": projected], "crs": "http://www.opengis.net/def/crs/EPSG/0/4548",
                                       "datetime": day, "groupBy": ["county", "use"]]
            let request = try StatisticsRequest.parse(json: body)
            guard case .geometry(let area) = request.area else { Issue.record("not a geometry"); continue }
            #expect(request.repaired == nil)
            let polygons = area.polygons
            let inside = all.filter { b in polygons.contains { PointInPolygon.contains($0, b.centroid) } }
            let stats = try #require(try demo.store.areaStatistics(request.area, on: day, groupBy: request.groupBy))
            #expect(stats.buildings == inside.count, "trial \(trial)")
            #expect(stats.people == inside.reduce(0) { $0 + $1.people }, "trial \(trial)")
            #expect(stats.businesses == inside.reduce(0) { $0 + $1.businesses }, "trial \(trial)")
            #expect(stats.buildingsByUse == Dictionary(grouping: inside, by: \.use).mapValues(\.count), "trial \(trial)")
            // Breakdowns add up to the totals.
            #expect(stats.bySex.values.reduce(0, +) == stats.people && stats.byAgeBand.values.reduce(0, +) == stats.people)
            #expect(stats.peopleGroups.reduce(0) { $0 + $1.count } == stats.people)
            #expect(stats.buildingGroups.reduce(0) { $0 + $1.count } == stats.buildings)
            #expect(stats.businessGroups.reduce(0) { $0 + $1.count } == stats.businesses)
            if trial == 0 { #expect(stats.people > 0 && stats.buildings > 0) }
        }
    }

    @Test func aCountyByCodeHoldsItsStoredPopulationAndUnknownCodesAreNil() throws {
        let demo = try DemoDatabase(scale: 0.01)
        for day in ["2020-06-01", "2024-06-01"] {
            for county in try demo.store.adminAreas(level: .county, asOf: day) {
                let stats = try #require(try demo.store.areaStatistics(.code(county.code), on: day, groupBy: ["township"].compactMap(StatisticsDimension.init)))
                #expect(stats.people == county.population, "\(county.code) on \(day)")
                #expect(stats.name == county.name)
            }
        }
        // 梅列区 ended in 2021.
        #expect(try demo.store.areaStatistics(.code("350402"), on: "2024-06-01", groupBy: []) == nil)
        #expect(try demo.store.areaStatistics(.code("350402"), on: "2020-06-01", groupBy: []) != nil)
    }

    @Test func aReadPastTheTimeLimitIsStoppedAndTheNextOneRuns() throws {
        let demo = try DemoDatabase(scale: 0.02)
        demo.store.readTimeLimit = 0.000_001
        do {
            _ = try demo.store.areaStatistics(.code("350400"), on: "2024-06-01", groupBy: [.township, .sex])
            Issue.record("the city's statistics finished within a microsecond")
        } catch let e as StoreError {
            #expect(e.timedOut && e.message.contains("time limit"))
        }
        demo.store.readTimeLimit = 0
        #expect(try demo.store.areaStatistics(.code("350400"), on: "2024-06-01", groupBy: [])?.people ?? 0 > 0)
    }

    @Test func smallCellsOfPeopleAreSuppressedUnlessExact() throws {
        var s = AreaStatistics(day: "2024-06-01")
        s.people = 3; s.households = 2; s.bySex = ["M": 3]; s.businesses = 2; s.buildings = 1
        let request = StatisticsRequest(area: .code("350404"), day: "2024-06-01", groupBy: [])
        let doc = StatisticsDocument.make(s, request: request)
        #expect(doc.population.total == .below(5) && doc.population.households == .below(5))
        #expect(doc.population.bySex.value?["M"] == .below(5))
        #expect(doc.businesses.count == .count(2))
        let exact = StatisticsDocument.make(s, request: request, disclosure: .exact).population
        #expect(exact.total == .count(3))
        // Withheld: a layer not shared with the caller shows nothing, not even zeros.
        let withheld = StatisticsDocument.make(s, request: request, disclosure: StatisticsDisclosure(people: .withheld, businesses: .suppressed, buildings: .exact))
        #expect(withheld.population.total == .withheld)
        #expect(withheld.population.bySex.value == nil)
        #expect(withheld.businesses.count == .below(5))
        #expect(withheld.buildings.count == .count(1))
        // In JSON a withheld breakdown is null (the key stays), a suppressed count "<5".
        let json = try #require(try JSONSerialization.jsonObject(with: StatisticsAnswer.encoder.encode(withheld)) as? [String: Any])
        #expect((json["population"] as? [String: Any])?["bySex"] is NSNull)
        #expect((json["businesses"] as? [String: Any])?["count"] as? String == "<5")
    }

    @Test(arguments: [
        (#"{"area": {"type": "Polygon", "coordinates": [[[117.6, 26.2], [117.7, 26.2]]]}}"#, "ring"),
        (#"{"area": {"type": "LineString", "coordinates": [[117.6, 26.2], [117.7, 26.2]]}}"#, "not a LineString"),
        (#"{"area": "35"}"#, "not an administrative code"),
        (#"{"area": "350404", "groupBy": ["colour"]}"#, "groupBy 'colour'"),
        (#"{"area": "350404", "datetime": "2020-01-01/2021-01-01"}"#, "one day"),
        (#"{"area": "350404", "crs": "EPSG:2000"}"#, "not offered"),
        (#"{"area": {"circle": {"center": [117.6, 26.2], "radius": -5}}}"#, "radius"),
        (#"{"area": {"buffer": {"geometry": {"type": "LineString", "coordinates": [[117.6, 26.2], [117.7, 26.2]]}}}}"#, "buffer must be"),
        (#"{"zone": "350404"}"#, "unknown member 'zone'"),
        (#"[1, 2]"#, "JSON object"),
    ])
    func badRequestsAreRefusedNamingTheProblem(body: String, words: String) throws {
        let json = try JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])
        do { _ = try StatisticsRequest.parse(json: json); Issue.record("accepted \(body)") } catch {
            #expect(error.description.contains(words), "\(error.description)")
        }
    }

    @Test func circlesAndBuffersBecomePolygonsOfTheRightSize() throws {
        let circle = try StatisticsRequest.parse(json: ["area": ["circle": ["center": [117.6, 26.25], "radius": 1000]]])
        guard case .geometry(let c) = circle.area else { Issue.record("no geometry"); return }
        let m = PointInPolygon.metresPerDegree(atLatitude: 26.25)
        let box = try #require(c.bbox)
        #expect(abs((box.maxX - box.minX) * m.x - 2000) < 5 && abs((box.maxY - box.minY) * m.y - 2000) < 5)
        let line: [String: Any] = ["type": "LineString", "coordinates": [[117.60, 26.25], [117.62, 26.25]]]
        let buffer = try StatisticsRequest.parse(json: ["area": ["buffer": ["geometry": line, "distance": 100]]])
        guard case .geometry(let b) = buffer.area, let bb = b.bbox else { Issue.record("no geometry"); return }
        #expect(abs((bb.maxY - bb.minY) * m.y - 200) < 2)
        #expect(abs((bb.maxX - bb.minX) * m.x - (0.02 * m.x + 200)) < 2)
    }
}
