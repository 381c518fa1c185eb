import Foundation
import OneMapAnalytics
import OneMapGeo
@testable import OneMapIngest
import OneMapQuery
import OneMapStore
import OneMapSpatiaLite
import Testing

/// The in-memory engine answers exactly what the store's SQL answers (the oracle): the same
/// `AreaStatistics`, and the same `/stats` JSON byte for byte, for codes at every level, drawn
/// polygons with holes, EPSG:4548 bodies, circles, buffers, several days and every groupBy.
@Suite(.serialized) struct EngineOracleTests {
    static let days = ["2010-01-01", "2020-06-01", "2024-06-01"]

    /// The `/stats` document as the server writes it (sorted keys).
    static func json(_ s: AreaStatistics?, _ request: StatisticsRequest) throws -> String {
        guard let s else { return "null" }
        let data = try StatisticsAnswer.encoder.encode(StatisticsDocument.make(s, request: request, disclosure: .exact))
        return String(decoding: data, as: UTF8.self)
    }

    /// Asks both; records any difference with the question's name.
    static func expectSame(_ engine: StatisticsEngine, _ store: SpatiaLiteStore, _ request: StatisticsRequest, _ name: String) throws {
        let mine = try engine.areaStatistics(request.area, on: request.day, groupBy: request.groupBy)
        let oracle = try store.areaStatistics(request.area, on: request.day, groupBy: request.groupBy)
        #expect(mine == oracle, "\(name): the engine's figures differ from SQL's")
        #expect(try json(mine, request) == json(oracle, request), "\(name): the /stats JSON differs")
    }

    static func fixture() throws -> (DemoFixture, StatisticsEngine) {
        let demo = try sharedDemo.get()
        return (demo, try StatisticsEngine.build(from: demo.store))
    }

    @Test func everyAreaOnEveryDayMatchesTheOracle() throws {
        let (demo, engine) = try Self.fixture()
        var asked = 0
        for day in Self.days {
            for area in try demo.store.adminAreas(level: nil, asOf: day) {
                try Self.expectSame(engine, demo.store, StatisticsRequest(area: .code(area.code), day: day, groupBy: []), "\(area.code) on \(day)")
                asked += 1
            }
        }
        #expect(asked > 100)
        // An unknown code and an area on a day it did not exist: nil from both.
        #expect(try engine.areaStatistics(.code("350499"), on: "2024-06-01", groupBy: []) == nil)
        #expect(try engine.areaStatistics(.code("350402"), on: "2024-06-01", groupBy: []) == nil)
        #expect(try engine.areaStatistics(.code("350402"), on: "2020-06-01", groupBy: []) != nil)
    }

    @Test func everyGroupByAndCombinationMatchesTheOracle() throws {
        let (demo, engine) = try Self.fixture()
        let combos: [[StatisticsDimension]] = StatisticsDimension.allCases.map { [$0] } + [
            [.township, .sex, .ageBand], [.use, .industry, .registration], [.county, .village, .grid, .use],
            [.ageBand, .county], [.industry, .township], [.registration, .sex, .ageBand, .use, .township],
        ]
        for day in ["2020-06-01", "2024-06-01"] {
            for code in ["350400", "350404", "350481"] {
                for groupBy in combos {
                    try Self.expectSame(engine, demo.store, StatisticsRequest(area: .code(code), day: day, groupBy: groupBy),
                                        "\(code) on \(day) by \(groupBy.map(\.rawValue))")
                }
            }
        }
    }

    @Test func drawnAreasMatchTheOracle() throws {
        let (demo, engine) = try Self.fixture()
        var rng = DemoRandom(seed: 15)
        let gk = "http://www.opengis.net/def/crs/EPSG/0/4548"
        for (trial, day) in ["2024-06-01", "2015-03-01", "2020-11-01", "2024-06-01"].enumerated() {
            let c = Position(117.45 + Double.random(in: 0...0.35, using: &rng), 26.1 + Double.random(in: 0...0.3, using: &rng))
            let m = PointInPolygon.metresPerDegree(atLatitude: c.y)
            func ring(_ r: Double, clockwise: Bool) -> [[Double]] {
                var pts = (0..<24).map { k -> [Double] in
                    let a = Double(k) / 24 * 2 * .pi * (clockwise ? -1 : 1)
                    let d = r * Double.random(in: 0.7...1.0, using: &rng)
                    return [c.x + d * cos(a) / m.x, c.y + d * sin(a) / m.y]
                }
                pts.append(pts[0])
                return pts
            }
            let radius = Double.random(in: 2_000...20_000, using: &rng)
            let polygon: [String: Any] = ["type": "Polygon", "coordinates": [ring(radius, clockwise: false), ring(radius / 3, clockwise: true)]]
            let groupBy = [["county", "use"], ["township", "sex"], ["ageBand"], []][trial % 4]
            var bodies: [(String, [String: Any])] = [
                ("polygon with a hole", ["area": polygon, "datetime": day, "groupBy": groupBy]),
                ("circle 3 m", ["area": ["circle": ["center": [c.x, c.y], "radius": 3]], "datetime": day]),
                ("circle 110 m", ["area": ["circle": ["center": [c.x, c.y], "radius": 110]], "datetime": day, "groupBy": ["sex"]]),
                ("circle 3 km", ["area": ["circle": ["center": [c.x, c.y], "radius": 3000]], "datetime": day, "groupBy": groupBy]),
                ("buffer 400 m", ["area": ["buffer": ["geometry": ["type": "LineString", "coordinates": [[c.x - 0.05, c.y], [c.x + 0.05, c.y + 0.02]]],
                                                      "distance": 400]], "datetime": day]),
            ]
            // The same polygon sent in EPSG:4548 (easting, northing).
            var projected: [[[Double]]] = []
            for r in (polygon["coordinates"] as! [[[Double]]]) {
                var positions = r.map { Position($0[0], $0[1]) }
                try Reprojector().transform(&positions, from: .cgcs2000, to: .gk117)
                projected.append(positions.map { [$0.x, $0.y] })
            }
            bodies.append(("polygon in EPSG:4548", ["area": ["type": "Polygon", "coordinates": projected], "crs": gk, "datetime": day,
                                                    "groupBy": ["village", "registration"]]))
            for (name, body) in bodies {
                try Self.expectSame(engine, demo.store, try StatisticsRequest.parse(json: body), "\(name) #\(trial) on \(day)")
            }
        }
        // A drawn area holding people: the comparison above is not between two empty answers.
        let city = try #require(try engine.areaStatistics(.code("350400"), on: "2024-06-01", groupBy: []))
        #expect(city.people > 10_000 && city.households > 1_000 && city.businesses > 100)
    }

    @Test func timeSeriesInOnePassMatchTheOracleDayByDay() throws {
        let (demo, engine) = try Self.fixture()
        // Monthly steps across Sanming's 2021 changes (梅列区 and 三元区 merged, 沙县 became a district).
        var monthly: [String] = []
        for year in 2019...2023 { for month in 1...12 { monthly.append(String(format: "%04d-%02d-01", year, month)) } }
        let yearly = (1995...2026).map { "\($0)-06-01" }
        for code in ["350400", "350402", "350403", "350404", "350427", "350481"] {
            for days in [monthly, yearly, ["2020-06-01"]] {
                let mine = try engine.areaTotals(code: code, on: days)
                let oracle = try demo.store.totalsDayByDay(code: code, on: days)
                #expect(mine == oracle, "\(code) over \(days.first!)…\(days.last!)")
            }
        }
        // Some steps exist and some do not: the comparison is not between empty series.
        let merged = try engine.areaTotals(code: "350402", on: monthly)
        #expect(merged.contains { $0 == nil } && merged.contains { ($0?.people ?? 0) > 0 })
        // Days out of order are answered day by day, the same figures.
        let shuffled = ["2024-06-01", "2010-01-01", "2020-06-01"]
        #expect(try engine.areaTotals(code: "350400", on: shuffled) == demo.store.totalsDayByDay(code: "350400", on: shuffled))
    }

    @Test func badQuestionsAreRefusedLikeTheOracleRefusesThem() throws {
        let (_, engine) = try Self.fixture()
        #expect(throws: StoreError.self) { try engine.areaStatistics(.code("350400"), on: "2024-13-01", groupBy: []) }
        #expect { try engine.areaStatistics(.geometry(.point(Position(117.6, 26.2))), on: "2024-06-01", groupBy: []) } throws: { e in
            "\(e)".contains("must be a Polygon or MultiPolygon, not a Point")
        }
    }

    @Test func theEngineStaysSmall() throws {
        let (demo, engine) = try Self.fixture()
        let people = try demo.store.count(layer: "population")
        #expect(engine.summary["people"] == people)
        // About 20 bytes a person for the figures, 8 for its row id and ~12 for the household
        // index that updates number new rows with, and the buildings besides: the full demo holds
        // ~210 MB (the budget is 300 MB), well under 100 bytes a person.
        #expect(engine.memoryBytes < max(people, 1) * 100 + 12_000_000)
    }
}
