import Foundation
import OneMapAnalytics
import OneMapGeo
import OneMapQuery
import OneMapStore
import OneMapSpatiaLite
import Testing

/// Protected figures survive differencing, repetition and subtraction, list every category, and
/// stay within the documented bound of the exact ones.
@Suite(.serialized) struct DisclosureControlTests {
    static let day = "2024-06-01"
    static let people = StatisticsProtection(people: true, businesses: false, buildings: false)

    struct Resident { let centroid: Position; let residents: Int }

    /// The shared demo and an engine with a fixed secret: the same noise on every run (a store's
    /// own secret is random per database), so that rates measured here do not vary between runs.
    static func fixture() throws -> (DemoFixture, StatisticsEngine) {
        let demo = try sharedDemo.get()
        return (demo, try StatisticsEngine.build(from: demo.store, secret: Array("a fixed secret for the disclosure tests".utf8)))
    }

    /// Buildings standing on the day with their residents, in the towns of 三元区.
    static func buildings(_ store: SpatiaLiteStore) throws -> [Resident] {
        var out: [Resident] = []
        let layer = try #require(try store.layer(id: "buildings"))
        let population = try #require(layer.fields.firstIndex { $0.name == "population" })
        try store.features(layer: "buildings", intersecting: BBox(minX: 117.55, minY: 26.2, maxX: 117.7, maxY: 26.35), during: .instant(day), limit: nil) {
            guard case .polygon(let rings) = $0.geometry, case .int(let n) = $0.values[population] else { return }
            out.append(Resident(centroid: Planar.centroid(rings[0]), residents: Int(n)))
        }
        return out
    }

    static func square(_ c: Position, halfMetres: Double) -> [Position] {
        let m = PointInPolygon.metresPerDegree(atLatitude: c.y)
        let dx = halfMetres / m.x, dy = halfMetres / m.y
        return [Position(c.x - dx, c.y - dy), Position(c.x + dx, c.y - dy), Position(c.x + dx, c.y + dy), Position(c.x - dx, c.y + dy), Position(c.x - dx, c.y - dy)]
    }

    @Test func theSquareWithAHoleAttackRecoversNoResident() throws {
        let (demo, engine) = try Self.fixture()
        let all = try Self.buildings(demo.store)
        // 20 buildings with residents, the small ones (1-4) first.
        let targets = Array((all.filter { (1...4).contains($0.residents) }.prefix(10) + all.filter { $0.residents >= 5 }.prefix(10)))
        #expect(targets.count == 20)
        var recovered = 0, recoveredSmall = 0
        for t in targets {
            let outer = Self.square(t.centroid, halfMetres: 400)
            // A hole a few metres across around the building's centroid (clockwise).
            let hole = Array(Self.square(t.centroid, halfMetres: 3).reversed())
            let whole = try #require(try engine.areaStatistics(.geometry(.polygon([outer])), on: Self.day, groupBy: [], protection: Self.people))
            let holed = try #require(try engine.areaStatistics(.geometry(.polygon([outer, hole])), on: Self.day, groupBy: [], protection: Self.people))
            // The exact engine does see the hole: the attack would work without protection.
            let exactWhole = try #require(try engine.areaStatistics(.geometry(.polygon([outer])), on: Self.day, groupBy: []))
            let exactHoled = try #require(try engine.areaStatistics(.geometry(.polygon([outer, hole])), on: Self.day, groupBy: []))
            #expect(exactWhole.people - exactHoled.people == t.residents)
            if whole.people - holed.people == t.residents {
                recovered += 1
                if t.residents <= 4 { recoveredSmall += 1 }
            }
        }
        #expect(recovered * 5 <= targets.count, "the difference gave \(recovered) of \(targets.count) buildings' residents")
        #expect(recoveredSmall == 0)
    }

    @Test func aHoleAsLargeAsAGridCellGivesOnlyAPerturbedCount() throws {
        let (demo, engine) = try Self.fixture()
        let all = try Self.buildings(demo.store).filter { (1...4).contains($0.residents) }
        var exactHits = 0, asked = 0
        for t in all.prefix(20) {
            let outer = Self.square(t.centroid, halfMetres: 1500)
            // A hole that removes the building's whole grid cell (and so its neighbours' too).
            let hole = Array(Self.square(t.centroid, halfMetres: 300).reversed())
            let whole = try #require(try engine.areaStatistics(.geometry(.polygon([outer])), on: Self.day, groupBy: [], protection: Self.people))
            let holed = try #require(try engine.areaStatistics(.geometry(.polygon([outer, hole])), on: Self.day, groupBy: [], protection: Self.people))
            let exactWhole = try #require(try engine.areaStatistics(.geometry(.polygon([outer])), on: Self.day, groupBy: [], protection: .none))
            let exactHoled = try #require(try engine.areaStatistics(.geometry(.polygon([outer, hole])), on: Self.day, groupBy: [], protection: .none))
            asked += 1
            if whole.people - holed.people == exactWhole.people - exactHoled.people { exactHits += 1 }
        }
        #expect(asked > 5)
        #expect(exactHits * 5 <= asked, "\(exactHits) of \(asked) differences were exact")
    }

    @Test func theSameQuestionAlwaysGetsTheSameAnswerAlsoAfterARebuild() throws {
        // Both from the store's own secret, kept in the database: a rebuild perturbs alike.
        let (demo, _) = try Self.fixture()
        let engine = try StatisticsEngine.build(from: demo.store)
        let again = try StatisticsEngine.build(from: demo.store)
        let circle = try StatisticsRequest.parse(json: ["area": ["circle": ["center": [117.63, 26.26], "radius": 800]], "datetime": Self.day,
                                                        "groupBy": ["ageBand", "registration"]])
        for (area, groupBy) in [(StatisticsArea.code("350404"), [StatisticsDimension.township, .sex]), (circle.area, circle.groupBy)] {
            let first = try engine.areaStatistics(area, on: Self.day, groupBy: groupBy, protection: Self.people)
            for _ in 0..<3 { #expect(try engine.areaStatistics(area, on: Self.day, groupBy: groupBy, protection: Self.people) == first) }
            #expect(try again.areaStatistics(area, on: Self.day, groupBy: groupBy, protection: Self.people) == first)
        }
    }

    @Test func publishedFiguresStayWithinTheBoundOfTheExactOnes() throws {
        let (demo, engine) = try Self.fixture()
        var differing = 0, compared = 0
        for area in try demo.store.adminAreas(level: nil, asOf: Self.day) {
            let exact = try #require(try engine.areaStatistics(.code(area.code), on: Self.day, groupBy: [.sex]))
            let shown = try #require(try engine.areaStatistics(.code(area.code), on: Self.day, groupBy: [.sex], protection: Self.people))
            let cells = try #require(shown.protectedCells)
            let bound = DisclosureControl.maxNoise * cells
            func within(_ a: Int, _ b: Int, _ what: String) {
                compared += 1
                if a != b { differing += 1 }
                #expect(abs(a - b) <= bound, "\(area.code) \(what): \(a) against \(b), \(cells) cells")
            }
            within(shown.people, exact.people, "people")
            within(shown.households, exact.households, "households")
            for (k, n) in shown.bySex { within(n, exact.bySex[k] ?? 0, "sex \(k)") }
            for (k, n) in shown.byAgeBand { within(n, exact.byAgeBand[k] ?? 0, "age \(k)") }
            // Businesses and buildings are not protected here: exact.
            #expect(shown.businesses == exact.businesses && shown.buildings == exact.buildings)
        }
        // Perturbed, not copied.
        #expect(differing * 2 > compared)
    }

    @Test func everyCategoryIsListedAndSmallOnesShowAsBelowFive() throws {
        let (_, engine) = try Self.fixture()
        // A 3 m circle and a 110 m one in 三元区's centre.
        for radius in [3.0, 110] {
            let r = try StatisticsRequest.parse(json: ["area": ["circle": ["center": [117.6089, 26.2635], "radius": radius]], "datetime": Self.day])
            let s = try #require(try engine.areaStatistics(r.area, on: Self.day, groupBy: [], protection: Self.people))
            #expect(Set(s.bySex.keys) == ["M", "F"])
            #expect(Set(s.byAgeBand.keys) == Set(StatisticsDimension.ageBands))
            #expect(Set(s.byRegistration.keys) == ["户籍", "流动"])
            let doc = StatisticsDocument.make(s, request: r, disclosure: .standard)
            let bySex = try #require(doc.population.bySex.value)
            for (_, v) in bySex { if let n = v.value { #expect(n >= 5) } else { #expect(v == .below(5)) } }
        }
    }

    @Test func subtractingTheOtherGroupsFromTheTotalGivesOnlyANoisyGuess() throws {
        let (demo, engine) = try Self.fixture()
        var tried = 0, revealed = 0
        var residuals: Set<Int> = []
        // Circles whose exact figures have one small age band (1-4 people) beside large ones: the
        // red team's case (a band shown as "<5" beside a total and the other bands).
        search: for t in try Self.buildings(demo.store).filter({ $0.residents > 0 }) {
            for radius in [100.0, 150, 220, 300] {
                guard tried < 30 else { break search }
                let r = try StatisticsRequest.parse(json: ["area": ["circle": ["center": [t.centroid.x, t.centroid.y], "radius": radius]], "datetime": Self.day])
                // The exact figures over the same grid cells (protecting only buildings snaps the
                // area alike and leaves people exact).
                let snapped = try #require(try engine.areaStatistics(r.area, on: Self.day, groupBy: [],
                                                                     protection: .init(people: false, businesses: false, buildings: true)))
                let small = StatisticsDimension.ageBands.filter { (1...4).contains(snapped.byAgeBand[$0] ?? 0) }
                guard small.count == 1, snapped.people >= 20 else { continue }
                let s = try #require(try engine.areaStatistics(r.area, on: Self.day, groupBy: [], protection: Self.people))
                guard (s.byAgeBand[small[0]] ?? 0) < DisclosureControl.threshold else { continue }  // shown, not hidden
                tried += 1
                let others = StatisticsDimension.ageBands.filter { $0 != small[0] }.reduce(0) { $0 + (s.byAgeBand[$1] ?? 0) }
                let guess = s.people - others, truth = snapped.byAgeBand[small[0]] ?? 0
                if guess == truth { revealed += 1 }
                residuals.insert(guess - truth)
                break
            }
        }
        // The guess is the hidden count plus the noise of the total and of the other bands: right
        // now and then by chance (the attacker cannot tell when), wrong by several values otherwise.
        #expect(tried >= 10)
        #expect(revealed * 10 <= tried * 3, "\(revealed) of \(tried) hidden age bands followed from the total")
        #expect(residuals.count >= 4, "the guesses missed by only \(residuals.sorted())")
    }
}
