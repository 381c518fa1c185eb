import Foundation
import OneMapAnalytics
import OneMapGeo
import OneMapIngest
import OneMapStore
import OneMapSpatiaLite
import Testing

/// The service answers from the engine only while it holds every committed change: after an
/// import its answer is the new one at once (from SQL until the rebuild), then the engine's again.
@Suite(.serialized) struct StatisticsServiceTests {
    /// The first building of 三元区 standing on `day`: its code and centroid.
    static func building(_ store: SpatiaLiteStore, on day: String, skip: Int = 0) throws -> String {
        var codes: [String] = []
        try store.features(layer: "buildings", intersecting: BBox(minX: 117.5, minY: 26.1, maxX: 117.8, maxY: 26.4), during: .instant(day), limit: skip + 1) {
            if case .string(let code) = $0.values[0] { codes.append(code) }
        }
        return try #require(codes.last)
    }

    static func importPeople(_ store: SpatiaLiteStore, _ lines: [String], on day: String) throws {
        let path = NSTemporaryDirectory() + "onemap-people-\(UUID().uuidString).csv"
        defer { unlink(path) }
        let header = "person_key,building_code,lon,lat,sex,birth_year,household_id,registration,moved_in,masked_identity"
        try ([header] + lines).joined(separator: "\n").appending("\n").write(toFile: path, atomically: true, encoding: .utf8)
        var o = ImportOptions(layer: "population")
        o.validFrom = day
        _ = try DepartmentImport.run(file: path, into: store, options: o)
    }

    /// Waits (up to 60 s) until the service's engine holds every change again.
    static func waitUntilCurrent(_ service: StatisticsService) async throws -> StatisticsEngine {
        for _ in 0..<600 {
            // A question makes the service look at the store's newest change.
            _ = try service.areaStatistics(.code("350400"), on: "2024-06-01", groupBy: [])
            if let e = service.current { return e }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw AnalyticsError("the engine did not catch up within 60 s")
    }

    @Test func anImportShowsAtOnceAndTheEngineCatchesUp() async throws {
        let demo = try DemoFixture(scale: 0.02)
        let service = StatisticsService(store: demo.store)
        let first = try service.buildNow()
        let day = "2025-01-01"
        let before = try #require(try service.areaStatistics(.code("350400"), on: day, groupBy: [.sex]))
        #expect(before == (try demo.store.areaStatistics(.code("350400"), on: day, groupBy: [.sex])))
        // Two people of one household in two buildings: the household counts once.
        let a = try Self.building(demo.store, on: day), b = try Self.building(demo.store, on: day, skip: 40)
        #expect(a != b)
        try Self.importPeople(demo.store, ["T1,\(a),,,M,1985,HX-1,户籍,\(day),350404********9001",
                                           "T2,\(b),,,F,1987,HX-1,户籍,\(day),350404********9002"], on: day)
        // At once (no feed has polled): the new figures, from SQL while the engine is stale.
        let after = try #require(try service.areaStatistics(.code("350400"), on: day, groupBy: [.sex]))
        #expect(after.people == before.people + 2)
        #expect(after.households == before.households + 1)
        let rebuilt = try await Self.waitUntilCurrent(service)
        #expect(rebuilt !== first && rebuilt.changeSeq > first.changeSeq)
        for groupBy: [StatisticsDimension] in [[], [.sex], [.township, .registration]] {
            let mine = try rebuilt.areaStatistics(.code("350400"), on: day, groupBy: groupBy)
            #expect(mine == (try demo.store.areaStatistics(.code("350400"), on: day, groupBy: groupBy)))
        }
        #expect(try rebuilt.areaStatistics(.code("350400"), on: day, groupBy: [])?.households == after.households)
        // A series across the import day (the shared household counted once per step).
        let steps = ["2024-06-01", "2024-12-31", day, "2025-06-01"]
        #expect(try rebuilt.areaTotals(code: "350400", on: steps) == demo.store.totalsDayByDay(code: "350400", on: steps))
        #expect(service.health["state"] as? String == "ready")
    }

    /// `--memory-mb` bounds the engine: one that would not fit is never built. Exact figures still
    /// come (from SQL), protected ones are refused with a reason that names the budget, and the
    /// same service with room enough builds an engine within its limit.
    @Test func anEngineBeyondTheMemoryBudgetIsNotBuiltAndExactFiguresComeFromSQL() async throws {
        let demo = try DemoFixture(scale: 0.02)
        let records = try demo.store.estimatedStatisticsRecords()
        #expect(records == (try demo.store.count(layer: "population")) + (try demo.store.count(layer: "businesses")))
        let day = "2025-01-01"
        let tight = StatisticsService(store: demo.store, protectedWait: 5, memoryLimit: records * 84 - 1)
        tight.start()
        for _ in 0..<100 where tight.health["state"] as? String != "overBudget" { try await Task.sleep(for: .milliseconds(50)) }
        #expect(tight.health["state"] as? String == "overBudget")
        #expect((tight.health["lastError"] as? String)?.contains("--memory-mb") == true)
        #expect(tight.current == nil)
        #expect(try tight.areaStatistics(.code("350400"), on: day, groupBy: [.sex]) == demo.store.areaStatistics(.code("350400"), on: day, groupBy: [.sex]))
        let public_ = StatisticsDisclosure(people: .suppressed, businesses: .suppressed, buildings: .exact)
        do {
            _ = try tight.publishedStatistics(.code("350400"), on: day, groupBy: [], disclosure: public_)
            Issue.record("protected figures were answered without an engine")
        } catch let e as StatisticsUnavailable {
            #expect(e.message.contains("memory budget"))
        }
        let roomy = StatisticsService(store: demo.store, memoryLimit: records * 84 * 4)
        roomy.start()
        let engine = try await Self.waitUntilCurrent(roomy)
        #expect(engine.memoryBytes <= records * 84 * 4)
        #expect(try roomy.publishedStatistics(.code("350400"), on: day, groupBy: [], disclosure: public_) != nil)
    }
}
