import Foundation
import OneMapGeo
import OneMapStore
import Testing

/// Area statistics in SQL, change lists and the statistics engine's scans agree on every backend.
@Suite struct StatisticsContractTests {
    @Test(arguments: Backend.allCases) func areaFiguresFollowTheCentroidRule(_ backend: Backend) throws {
        let db = try backend.fresh()
        try SmallCity.load(into: db.store)
        let s = try #require(try db.store.areaStatistics(.code("350404"), on: "2024-01-01", groupBy: [.sex]))
        #expect(s.people == 6 && s.businesses == 1 && s.buildings == 2 && s.households == 2)
        #expect(s.bySex == ["M": 3, "F": 3])
        #expect(try db.store.areaStatistics(.code("350402"), on: "2024-01-01", groupBy: []) == nil)  // replaced in 2021
        let drawn = try #require(try db.store.areaStatistics(.geometry(rect(117.1, 26.1, 0.2)), on: "2024-01-01", groupBy: []))
        #expect(drawn.people == 5 && drawn.buildings == 1)
    }

    @Test func bothBackendsCountAlike() throws {
        let a = try Backend.spatialite.fresh(), b = try Backend.postgres.fresh()
        try SmallCity.load(into: a.store)
        try SmallCity.load(into: b.store)
        let groupings: [[StatisticsDimension]] = [[], [.county], [.sex, .ageBand], [.industry], [.use, .registration]]
        for day in ["2004-01-01", "2015-01-01", "2024-01-01"] {
            for g in groupings {
                for area in [StatisticsArea.code("350404"), .code("350402"), .geometry(rect(117, 26, 1))] {
                    #expect(try a.store.areaStatistics(area, on: day, groupBy: g) == b.store.areaStatistics(area, on: day, groupBy: g), "\(area) \(day) \(g)")
                }
            }
        }
        func changes(_ s: any OneMapDatabase) throws -> [String] {
            try s.changes(layer: "buildings", from: "2000-01-01", to: "2026-01-01", bbox: nil, limit: 10, offset: 0).changes
                .map { "\($0.kind) \($0.date) \($0.entity) \(String(describing: $0.before)) \(String(describing: $0.after))" }
        }
        let listed = try changes(a.store)
        let other = try changes(b.store)
        #expect(listed.count == 3 && listed == other)  // B1 and B2 built, B3 demolished
    }
}
