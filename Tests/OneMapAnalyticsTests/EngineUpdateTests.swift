import Foundation
@testable import OneMapAnalytics
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite
import Testing

/// An engine brought up to date with the rows a record import changed answers exactly as an
/// engine built anew and as SQL does, exact and protected; a change to buildings makes it build anew.
@Suite(.serialized) struct EngineUpdateTests {
    static let secret = Array("a fixed secret for the update tests".utf8)

    /// Building codes standing today and some households with their building, from the store's rows.
    struct Sample: StatisticsRowSink {
        var buildings: [String] = []
        var households: [(building: String, household: String)] = []
        static func text(_ b: BorrowedText?) -> String { b.map { String(decoding: $0, as: UTF8.self) } ?? "" }
        mutating func area(_ row: StatisticsAreaRow) {}
        mutating func building(_ row: StatisticsBuildingRow) {
            if row.validTo == nil && buildings.count < 400 { buildings.append(Self.text(row.entityCode)) }
        }
        mutating func membership(areaID: Int64, buildingID: Int64) {}
        mutating func person(_ row: StatisticsPersonRow) {
            if households.count < 200 && row.validTo == nil, row.household != nil {
                households.append((Self.text(row.buildingCode), Self.text(row.household)))
            }
        }
        mutating func business(_ row: StatisticsBusinessRow) {}
    }

    static func person(_ n: Int, building: String, household: String, birth: Int, sex: String = "F") -> RecordSource {
        RecordSource(row: n, key: "UPD-P\(n)", values: [
            "building_code": .string(building), "sex": .string(sex), "birth_year": .int(Int64(birth)), "household_id": .string(household),
            "registration": .string(n % 3 == 0 ? "流动" : "户籍"), "moved_in": .string("2025-03-01"), "masked_identity": .string("350402********\(1000 + n)"),
        ], position: nil)
    }

    static func creditCode(_ n: Int) -> String {
        var org = String(format: "U%07d", n)
        org.append(CreditCode.organizationCheck(for: org) ?? "0")
        let body = "91350404" + org
        return body + String(CreditCode.checkCharacter(for: body) ?? "0")
    }

    static func business(_ n: Int, building: String, employees: Int, industry: String = "F") -> RecordSource {
        RecordSource(row: n, key: creditCode(n), values: [
            "name": .string("更新测试\(n)有限公司"), "industry": .string(industry), "employees": .int(Int64(employees)),
            "registered": .string("2025-03-01"), "building_code": .string(building),
        ], position: nil)
    }

    /// The updated engine against SQL (exact) and against an engine built anew (exact and protected).
    static func expectSameAsFresh(_ updated: StatisticsEngine, _ store: SpatiaLiteStore, _ label: String) throws {
        let fresh = try StatisticsEngine.build(from: store, secret: secret)
        #expect(updated.columns.peopleCount == fresh.columns.peopleCount && updated.columns.firmCount == fresh.columns.firmCount, "\(label)")
        #expect(updated.columns.unplacedPeople == fresh.columns.unplacedPeople, "\(label)")
        #expect(updated.changeSeq == fresh.changeSeq && updated.rowSeq == fresh.rowSeq, "\(label)")
        let people = StatisticsProtection(people: true, businesses: true, buildings: true)
        let groupings: [[StatisticsDimension]] = [[], [.township, .sex], [.ageBand, .registration], [.county, .industry], [.use]]
        for day in ["2024-06-01", "2025-03-01", "2025-10-01", "2026-02-01"] {
            for code in ["350400", "350404", "350481"] {
                // The city by township and sex covers the breakdowns; the counties every grouping.
                for groupBy in code == "350400" ? [[.township, .sex]] : groupings {
                    let name = "\(label): \(code) on \(day) by \(groupBy.map(\.rawValue))"
                    let mine = try updated.areaStatistics(.code(code), on: day, groupBy: groupBy)
                    #expect(mine == (try store.areaStatistics(.code(code), on: day, groupBy: groupBy)), "\(name) differs from SQL")
                    #expect(mine == (try fresh.areaStatistics(.code(code), on: day, groupBy: groupBy)), "\(name) differs from a fresh build")
                    #expect(try updated.areaStatistics(.code(code), on: day, groupBy: groupBy, protection: people)
                            == fresh.areaStatistics(.code(code), on: day, groupBy: groupBy, protection: people), "\(name), protected")
                }
            }
        }
    }

    @Test func recordImportsAreMergedIntoTheEngineAsABuildWouldLayThemOut() throws {
        let demo = try DemoFixture(scale: 0.02)
        let store = demo.store
        var sample = Sample()
        _ = try store.scanStatisticsRows(into: &sample)
        let b = sample.buildings, h = sample.households
        #expect(b.count > 100 && h.count > 50)
        let e0 = try StatisticsEngine.build(from: store, secret: Self.secret)

        // 1. New people: into existing households, a new household across two buildings, new
        // single households; new businesses.
        var people: [RecordSource] = []
        for i in 0..<20 { people.append(Self.person(i, building: h[i * 2].building, household: h[i * 2].household, birth: 1950 + i * 3)) }
        for i in 20..<30 { people.append(Self.person(i, building: b[i % 2], household: "UPD-H-shared", birth: 2015, sex: "M")) }
        for i in 30..<40 { people.append(Self.person(i, building: b[50 + i], household: "UPD-H-\(i)", birth: 1990)) }
        _ = try store.applyRecords(layer: "population", records: people, alreadyRejected: [], mode: .append, validFrom: "2025-03-01",
                                   toleranceMetres: 50, skipBad: false)
        _ = try store.applyRecords(layer: "businesses", records: (0..<10).map { Self.business($0, building: b[$0 * 7], employees: 5 + $0) },
                                   alreadyRejected: [], mode: .append, validFrom: "2025-03-01", toleranceMetres: 50, skipBad: false)
        let e1 = try #require(try e0.updated(from: store), "a record import is applied as an update")
        guard case .update(let rows, false, _) = e1.madeBy else { Issue.record("made by \(e1.madeBy)"); return }
        #expect(rows == 50)
        #expect(e1.columns.peopleCount == e0.columns.peopleCount + 40)
        try Self.expectSameAsFresh(e1, store, "after appending")

        // 2. Moves from a later day (a version closes, another opens) and a same-day correction
        // (the version begun that day is replaced); businesses grow.
        var moves: [RecordSource] = []
        for i in 0..<10 { moves.append(Self.person(i, building: b[200 + i], household: "UPD-H-moved-\(i)", birth: 1950 + i * 3)) }
        _ = try store.applyRecords(layer: "population", records: moves, alreadyRejected: [], mode: .upsert, validFrom: "2025-09-01",
                                   toleranceMetres: 50, skipBad: false)
        _ = try store.applyRecords(layer: "population", records: (30..<35).map { Self.person($0, building: b[50 + $0], household: "UPD-H-\($0)", birth: 1991) },
                                   alreadyRejected: [], mode: .upsert, validFrom: "2025-03-01", toleranceMetres: 50, skipBad: false)
        _ = try store.applyRecords(layer: "businesses", records: (0..<5).map { Self.business($0, building: b[$0 * 7], employees: 50 + $0) },
                                   alreadyRejected: [], mode: .upsert, validFrom: "2025-09-01", toleranceMetres: 50, skipBad: false)
        let e2 = try #require(try e1.updated(from: store))
        try Self.expectSameAsFresh(e2, store, "after moves and corrections")

        // 3. A full push of businesses that names three: every other business closes that day.
        _ = try store.applyRecords(layer: "businesses", records: (0..<3).map { Self.business($0, building: b[$0 * 7], employees: 9) },
                                   alreadyRejected: [], mode: .replace, validFrom: "2026-01-01", toleranceMetres: 50, skipBad: false)
        let e3 = try #require(try e2.updated(from: store))
        guard case .update(let closed, false, _) = e3.madeBy else { Issue.record("made by \(e3.madeBy)"); return }
        #expect(closed > 100)
        try Self.expectSameAsFresh(e3, store, "after a full push")

        // Nothing changed since: an update is the same engine's figures, reading nothing.
        let e4 = try #require(try e3.updated(from: store))
        guard case .update(let none, false, _) = e4.madeBy else { Issue.record("made by \(e4.madeBy)"); return }
        #expect(none == 0)

        // 4. Buildings change (a new one, and people moving into it the same day): buildings and
        // areas are read and laid out again, people keep their places, the new ones join.
        let ring = [Position(117.6, 26.26), Position(117.6002, 26.26), Position(117.6002, 26.2602), Position(117.6, 26.2602), Position(117.6, 26.26)]
        _ = try store.applyVersions(layer: CoreLayers.buildings, records: [KeyedRecord(row: 1, key: "B-UPD-NEW", values: [
            "entity_code": .string("B-UPD-NEW"), "floors": .int(3), "use": .string("residential"), "built_date": .string("2025-01-01"),
        ], geometry: .polygon([ring]))], alreadyRejected: [], mode: .append, validFrom: "2025-05-01", skipBad: false)
        _ = try store.applyRecords(layer: "population", records: (40..<44).map { Self.person($0, building: "B-UPD-NEW", household: "UPD-H-new-building", birth: 1985) },
                                   alreadyRejected: [], mode: .append, validFrom: "2025-06-01", toleranceMetres: 50, skipBad: false)
        let e5 = try #require(try e4.updated(from: store))
        guard case .update(_, true, _) = e5.madeBy else { Issue.record("made by \(e5.madeBy)"); return }
        #expect(e5.columns.buildingCount == e4.columns.buildingCount + 1)
        try Self.expectSameAsFresh(e5, store, "after a new building")
        // A bulk load (the demo's kind of write) cannot be followed row by row: build anew.
        try store.bulkLoad { _ in }
        #expect(try e5.updated(from: store) == nil)
    }

    @Test func theServiceUpdatesItsEngineAfterARecordImport() async throws {
        let demo = try DemoFixture(scale: 0.02)
        let service = StatisticsService(store: demo.store, secret: Self.secret)
        try service.buildNow()
        var sample = Sample()
        _ = try demo.store.scanStatisticsRows(into: &sample)
        _ = try demo.store.applyRecords(layer: "population", records: [Self.person(1, building: sample.buildings[3], household: "UPD-S", birth: 2001)],
                                        alreadyRejected: [], mode: .append, validFrom: "2025-03-01", toleranceMetres: 50, skipBad: false)
        // The first question after the import sees the change: SQL answers until the update is in.
        let sql = try #require(try demo.store.areaStatistics(.code("350400"), on: "2025-06-01", groupBy: []))
        #expect(try service.areaStatistics(.code("350400"), on: "2025-06-01", groupBy: []) == sql)
        try await service.engineReady()
        let health = service.health
        #expect(health["updates"] as? Int == 1 && health["builds"] as? Int == 1, "\(health)")
        #expect(service.answersFromMemory)
        #expect(try service.current?.areaStatistics(.code("350400"), on: "2025-06-01", groupBy: []) == sql)
    }
}
