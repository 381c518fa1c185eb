import Foundation
@testable import OneMapAnalytics
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite
import Testing

/// Coverage of public services: exact figures agree with a brute force over the store's buildings,
/// capacity is shared out as the two-step floating catchment method says, and protected answers
/// move only with whole statistical grid cells.
@Suite(.serialized) struct CoverageTests {
    static let day = "2024-06-01"

    /// Great-circle distance (haversine on the mean Earth radius): an independent yardstick.
    static func haversine(_ a: Position, _ b: Position) -> Double {
        let r = 6_371_008.8, rad = Double.pi / 180
        let dLat = (b.y - a.y) * rad, dLon = (b.x - a.x) * rad
        let h = sin(dLat / 2) * sin(dLat / 2) + cos(a.y * rad) * cos(b.y * rad) * sin(dLon / 2) * sin(dLon / 2)
        return 2 * r * asin(min(1, h.squareRoot()))
    }

    static func schools(_ store: SpatiaLiteStore, capacity: Bool = false) throws -> [CoverageFacility] {
        let layer = try #require(try store.layer(id: "schools"))
        let places = try #require(layer.fields.firstIndex { $0.name == "capacity" })
        var out: [CoverageFacility] = []
        try store.queryFeatures(FeatureQuery(layer: "schools", time: .instant(day))) { f in
            guard case .point(let p) = f.geometry, case .int(let n) = f.values[places] else { return }
            out.append(CoverageFacility(id: f.id, position: p, capacity: capacity ? Double(n) : nil))
        }
        return out
    }

    @Test func theDemoHasSchoolsAndClinicsOwnedByTheirDepartments() throws {
        let demo = try sharedDemo.get()
        let schools = try #require(try demo.store.layer(id: "schools"))
        let clinics = try #require(try demo.store.layer(id: "clinics"))
        #expect(schools.ownerDepartment == "SMJY" && schools.open && schools.shareClass == .unconditional)
        #expect(clinics.ownerDepartment == "SMWJ" && !clinics.open)
        #expect(clinics.fields.first { $0.name == "capacity" }?.sensitivity == .internal)
        #expect(try Self.schools(demo.store).count >= 30)
        // Every facility stands inside the city.
        let engine = try StatisticsEngine.build(from: demo.store)
        for f in try Self.schools(demo.store) {
            let near = try #require(try engine.areaStatistics(.geometry(.polygon([Self.square(f.position, 5)])), on: Self.day, groupBy: []))
            #expect(near.buildings >= 1, "school \(f.id) stands in a building")
        }
    }

    static func square(_ c: Position, _ half: Double) -> [Position] {
        let m = PointInPolygon.metresPerDegree(atLatitude: c.y)
        let dx = half / m.x, dy = half / m.y
        return [Position(c.x - dx, c.y - dy), Position(c.x + dx, c.y - dy), Position(c.x + dx, c.y + dy), Position(c.x - dx, c.y + dy), Position(c.x - dx, c.y - dy)]
    }

    @Test func exactCoverageAgreesWithABruteForceOverTheStoresBuildings() throws {
        let demo = try sharedDemo.get()
        let engine = try StatisticsEngine.build(from: demo.store)
        let facilities = try Self.schools(demo.store)
        let radius = 1500.0
        // The oracle: every building standing that day with its residents (the store's count), in
        // reach when the great-circle distance from its centroid to a school is within the radius.
        let layer = try #require(try demo.store.layer(id: "buildings"))
        let population = try #require(layer.fields.firstIndex { $0.name == "population" })
        var within = 0, beyond = 0, unsure = 0
        try demo.store.features(layer: "buildings", intersecting: BBox(minX: 115, minY: 24, maxX: 120, maxY: 28), during: .instant(Self.day), limit: nil) {
            guard case .polygon(let rings) = $0.geometry, case .int(let n) = $0.values[population] else { return }
            let c = Planar.centroid(rings[0])
            let d = facilities.map { Self.haversine(c, $0.position) }.min() ?? .infinity
            if abs(d - radius) < 2 { unsure += Int(n) } else if d <= radius { within += Int(n) } else { beyond += Int(n) }
        }
        let q = CoverageQuestion(facilities: facilities, radiusMetres: radius, day: Self.day, area: "350400", ageBands: nil, capacity: false)
        let r = try #require(try engine.coverage(q, protected: false))
        let city = try #require(try engine.areaStatistics(.code("350400"), on: Self.day, groupBy: []))
        #expect(r.total.people == city.people)
        #expect(r.total.people == within + beyond + unsure)
        #expect(r.total.within >= within && r.total.within <= within + unsure)
        #expect(r.total.within > 0 && r.total.beyond > 0)
        // Age bands and townships add up to the total; the cells beyond reach hold everyone beyond.
        #expect(r.total.withinByBand.reduce(0, +) == r.total.within)
        #expect(r.total.beyondByBand.reduce(0, +) == r.total.beyond)
        #expect(r.townships.reduce(0) { $0 + $1.figures.within } == r.total.within)
        #expect(r.townships.reduce(0) { $0 + $1.figures.beyond } == r.total.beyond)
        #expect(r.uncoveredCells.reduce(0) { $0 + $1.people } == r.total.beyond)
        #expect(r.protectedCells == nil)
        // Each township's residents are its /stats figure.
        for t in r.townships.prefix(5) {
            let s = try #require(try engine.areaStatistics(.code(t.code), on: Self.day, groupBy: []))
            #expect(t.figures.people == s.people, "township \(t.code)")
        }
    }

    @Test func ageBandsNarrowWhoIsCounted() throws {
        let demo = try sharedDemo.get()
        let engine = try StatisticsEngine.build(from: demo.store)
        let facilities = try Self.schools(demo.store)
        let all = try #require(try engine.coverage(CoverageQuestion(facilities: facilities, radiusMetres: 1000, day: Self.day, area: "350400", ageBands: nil, capacity: false), protected: false))
        let young = try #require(try engine.coverage(CoverageQuestion(facilities: facilities, radiusMetres: 1000, day: Self.day, area: "350400", ageBands: [0], capacity: false), protected: false))
        #expect(young.total.within == all.total.withinByBand[0])
        #expect(young.total.beyond == all.total.beyondByBand[0])
        #expect(young.total.withinByBand[1] == 0 && young.total.people < all.total.people)
    }

    @Test func capacityIsSharedOutByTheTwoStepFloatingCatchment() {
        // Units A (10 residents), B (30, 1 km east of A), C (20, 5 km east), D (7, 20 km east).
        let y = 26.25, m = PointInPolygon.metresPerDegree(atLatitude: y).x
        let x0 = 117.6
        let xs = [x0, x0 + 1000 / m, x0 + 5000 / m, x0 + 20_000 / m]
        let residents: [Int32] = [10, 30, 20, 7]
        // F1 at A (20 places) reaches A and B; F2 at C (10 places) reaches C; nothing reaches D.
        let facilities = [CoverageFacility(id: 1, position: Position(xs[0], y), capacity: 20),
                          CoverageFacility(id: 2, position: Position(xs[2], y), capacity: 10)]
        let reach = CoverageReach(x: xs, y: [y, y, y, y], residents: residents, facilities: facilities, radius: 1500, capacity: true)
        #expect(reach.demand == [40, 20])
        #expect((0..<4).map { reach.reached($0) } == [true, true, true, false])
        // Ratios 20/40 and 10/20: every reached unit has half a place per resident.
        #expect((0..<3).allSatisfy { abs(reach.supply($0) - 0.5) < 1e-12 })
        #expect(reach.supply(3) == 0)
        // Served up to 1: a facility with places to spare covers everyone it reaches.
        let generous = CoverageReach(x: xs, y: [y, y, y, y], residents: residents,
                                     facilities: [CoverageFacility(id: 1, position: Position(xs[0], y), capacity: 400)], radius: 1500, capacity: true)
        #expect(abs(generous.supply(1) - 10) < 1e-12)
        // Overlapping catchments add up: a second facility at B reaching A and B.
        let both = CoverageReach(x: xs, y: [y, y, y, y], residents: residents,
                                 facilities: facilities + [CoverageFacility(id: 3, position: Position(xs[1], y), capacity: 8)], radius: 1500, capacity: true)
        #expect(abs(both.supply(0) - 0.7) < 1e-12 && abs(both.supply(1) - 0.7) < 1e-12)
    }

    @Test func servedResidentsNeverExceedThoseWithinReachOrThePlaces() throws {
        let demo = try sharedDemo.get()
        let engine = try StatisticsEngine.build(from: demo.store)
        let facilities = try Self.schools(demo.store, capacity: true)
        let r = try #require(try engine.coverage(CoverageQuestion(facilities: facilities, radiusMetres: 2000, day: Self.day, area: "350400", ageBands: [0], capacity: true), protected: false))
        let places = facilities.reduce(0) { $0 + ($1.capacity ?? 0) }
        #expect(r.total.served <= Double(r.total.within) + 1e-6)
        #expect(r.total.served <= places + 1e-6)
        #expect(r.total.served > 0)
        // Each facility's residents within reach are counted once per facility.
        #expect(r.demand.count == facilities.count)
        #expect(r.demand.reduce(0, +) >= r.total.within)
    }

    @Test func protectedAnswersMoveOnlyWithWholeStatisticalCells() throws {
        let demo = try sharedDemo.get()
        let engine = try StatisticsEngine.build(from: demo.store, secret: Array("a fixed secret for the coverage tests".utf8))
        let facility = try #require(try Self.schools(demo.store).first)
        // Distances from the facility to building centroids and to the centres of their cells.
        var buildings: [Double] = [], centres = Set<Double>()
        let layer = try #require(try demo.store.layer(id: "buildings"))
        let population = try #require(layer.fields.firstIndex { $0.name == "population" })
        try demo.store.features(layer: "buildings", intersecting: BBox(minX: facility.position.x - 0.05, minY: facility.position.y - 0.05,
                                                                        maxX: facility.position.x + 0.05, maxY: facility.position.y + 0.05),
                                during: .instant(Self.day), limit: nil) {
            guard case .polygon(let rings) = $0.geometry, case .int(let n) = $0.values[population], n > 0 else { return }
            let c = Planar.centroid(rings[0])
            buildings.append(LocalDistance.metres(facility.position.x, facility.position.y, c.x, c.y))
            let cell = DisclosureControl.centre(of: DisclosureControl.cell(x: c.x, y: c.y))
            centres.insert(LocalDistance.metres(facility.position.x, facility.position.y, cell.x, cell.y))
        }
        // Two radii with a building between them but no cell centre: exact answers differ,
        // protected ones are the same answer.
        let sorted = centres.sorted()
        var pair: (Double, Double)?
        for (a, b) in zip(sorted, sorted.dropFirst()) where b - a > 4 && a > 300 {
            let r1 = a + 1, r2 = b - 1
            if buildings.contains(where: { $0 > r1 + 0.5 && $0 < r2 - 0.5 }) { pair = (r1, r2); break }
        }
        let (r1, r2) = try #require(pair)
        func ask(_ r: Double, _ protected: Bool) throws -> CoverageResult {
            try #require(try engine.coverage(CoverageQuestion(facilities: [facility], radiusMetres: r, day: Self.day, area: "350400", ageBands: nil, capacity: false),
                                             protected: protected))
        }
        #expect(try ask(r1, false).total.within != ask(r2, false).total.within)
        let p1 = try ask(r1, true), p2 = try ask(r2, true)
        #expect(p1.total == p2.total)
        #expect(p1.protectedCells != nil)
        // The same question, the same answer.
        #expect(try ask(r1, true).total == p1.total)
        // Cells beyond reach are shown only when they publish at least 5.
        #expect(p1.uncoveredCells.allSatisfy { $0.people >= DisclosureControl.threshold })
    }
}
