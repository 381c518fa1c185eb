import Foundation
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite
import Testing

/// A throwaway database file, removed with its WAL files at the end.
final class TempDatabase {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "onemap-store-\(UUID().uuidString).sqlite"
    }
    deinit { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
}

func rect(_ x: Double, _ y: Double, _ d: Double = 0.0002) -> Geometry {
    .polygon([[Position(x, y), Position(x + d, y), Position(x + d, y + d), Position(x, y + d), Position(x, y)]])
}

struct SomethingWentWrong: Error {}

@Suite struct SpatiaLiteStoreTests {
    static let county = AdminArea(code: "350404", level: .county, parentCode: "350400", name: "三元区",
                                  geometry: .multiPolygon([[[Position(117, 26), Position(118, 26), Position(118, 27), Position(117, 27), Position(117, 26)]]]),
                                  validFrom: "2021-05-01")
    static let old = AdminArea(code: "350402", level: .county, parentCode: "350400", name: "梅列区",
                               geometry: .multiPolygon([[[Position(117, 26), Position(117.5, 26), Position(117.5, 27), Position(117, 27), Position(117, 26)]]]),
                               validTo: "2021-05-01")

    func loaded() throws -> (TempDatabase, SpatiaLiteStore) {
        let db = TempDatabase()
        let store = try SpatiaLiteStore(path: db.path, create: true)
        try store.bulkLoad { w in
            try w.add(Self.county)
            try w.add(Self.old)
            try w.add(Building(entityCode: "B1", footprint: rect(117.2, 26.2), floors: 6, use: "residential", builtDate: "2001-03-04"))
            try w.add(Building(entityCode: "B2", footprint: rect(117.7, 26.7), floors: 2, use: "commercial", builtDate: "2010-01-01"))
            try w.add(Building(entityCode: "B3", footprint: rect(117.3, 26.3), floors: 1, use: "public", builtDate: "1970-01-01",
                               demolishedDate: "2005-06-01"))
            for i in 0..<5 {
                try w.add(PersonRecord(buildingCode: "B1", sex: i % 2 == 0 ? "M" : "F", birthYear: 1980 + i, householdID: "B1-H1",
                                       registration: .huji, movedIn: "2002-01-01", maskedIdentity: "350404********000\(i)"))
            }
            try w.add(PersonRecord(buildingCode: "B2", sex: "F", birthYear: 1990, householdID: "B2-H1", registration: .liudong,
                                   movedIn: "2012-01-01", maskedIdentity: "350404********0009"))
            try w.add(PersonRecord(buildingCode: "B2", sex: "M", birthYear: 1991, householdID: "B2-H1", registration: .liudong,
                                   movedIn: "2012-01-01", movedOut: "2019-01-01", maskedIdentity: "350404********0010"))
            try w.add(BusinessRecord(creditCode: "9144030071526726XG", name: "示例公司", industry: "I", employees: 30,
                                     registered: "2011-01-01", buildingCode: "B2"))
        }
        return (db, store)
    }

    @Test func catalogListsTheCoreLayersWithOwnersAndShareClasses() throws {
        let (db, store) = try loaded()
        _ = db
        let layers = try store.layers()
        #expect(layers.map(\.id) == ["admin_areas", "admin_labels", "buildings", "population", "businesses"])
        let pop = try #require(try store.layer(id: "population"))
        #expect(pop.shareClass == .conditional && pop.geometryType == .none && pop.ownerDepartment == "SMGA")
        #expect(pop.fields.first { $0.name == "masked_identity" }?.sensitivity == .personal)
        #expect(try store.layer(id: "nope") == nil)
    }

    @Test func featuresRoundTripWithGeometryAndTypedValues() throws {
        let (db, store) = try loaded()
        _ = db
        var got: [StoredFeature] = []
        try store.features(layer: "buildings", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant("2024-01-01"), limit: nil) {
            got.append($0)
        }
        #expect(got.count == 2)  // B3 was demolished in 2005
        let b1 = try #require(got.first { $0.values[0] == .string("B1") })
        #expect(b1.geometry == rect(117.2, 26.2))
        #expect(b1.values[1] == .int(6) && b1.values[2] == .string("residential"))
        #expect(b1.values[4] == .null)        // demolished_date
        #expect(b1.values[5] == .int(5))      // population
        let b2 = try #require(got.first { $0.values[0] == .string("B2") })
        #expect(b2.values[5] == .int(1) && b2.values[6] == .int(1))  // one moved out; one business
    }

    @Test func bboxQueryUsesTheSpatialIndexAndExcludesFarFeatures() throws {
        let (db, store) = try loaded()
        _ = db
        var codes: [FieldValue] = []
        try store.features(layer: "buildings", intersecting: BBox(minX: 117.19, minY: 26.19, maxX: 117.21, maxY: 26.21), during: .instant("2024-01-01"), limit: nil) {
            codes.append($0.values[0])
        }
        #expect(codes == [.string("B1")])
    }

    @Test func validTimeSelectsTheAdminAreasOfTheDay() throws {
        let (db, store) = try loaded()
        _ = db
        #expect(try store.adminAreas(level: .county, asOf: "2020-06-01").map(\.name) == ["梅列区"])
        #expect(try store.adminAreas(level: .county, asOf: "2022-06-01").map(\.name) == ["三元区"])
        var demolishedThen = 0
        try store.features(layer: "buildings", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant("2000-01-01"), limit: nil) { _ in
            demolishedThen += 1
        }
        #expect(demolishedThen == 1)  // only B3: B1 and B2 not yet built, B3 not yet demolished
    }

    @Test func areaPopulationCountsResidentsByBuildingCentroid() throws {
        let (db, store) = try loaded()
        _ = db
        let now = try store.adminAreas(level: .county, asOf: "2022-06-01")
        #expect(now.first?.population == 6)  // 5 in B1 + 1 current in B2
        let before = try store.adminAreas(level: .county, asOf: "2020-06-01")
        #expect(before.first?.population == 5)  // only B1 lies in 梅列区's half
    }

    func buildingCounts(_ store: SpatiaLiteStore, _ time: TimeFilter) throws -> [String: (Int64, Int64)] {
        var out: [String: (Int64, Int64)] = [:]
        try store.features(layer: "buildings", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: time, limit: nil) { f in
            if case .string(let code) = f.values[0], case .int(let p) = f.values[5], case .int(let b) = f.values[6] { out[code] = (p, b) }
        }
        return out
    }

    @Test func buildingCountsAreThoseOfTheRequestedDay() throws {
        let (db, store) = try loaded()
        _ = db
        // 2024 lies in the range the stored counts cover; 2015 and 2011-06 are counted at query time.
        let now = try buildingCounts(store, .instant("2024-01-01"))
        #expect(now["B2"]! == (1, 1))
        let y2015 = try buildingCounts(store, .instant("2015-01-01"))
        #expect(y2015["B1"]! == (5, 0) && y2015["B2"]! == (2, 1))
        let y2010 = try buildingCounts(store, .instant("2010-06-01"))
        #expect(y2010["B2"]! == (0, 0) && y2010["B1"]! == (5, 0))
    }

    @Test func intervalSelectsEveryVersionValidDuringIt() throws {
        let (db, store) = try loaded()
        _ = db
        let during = try buildingCounts(store, TimeFilter(start: "2000-01-01", end: "2010-12-31"))
        #expect(Set(during.keys) == ["B1", "B2", "B3"])
        let after = try buildingCounts(store, TimeFilter(start: "2006-01-01", end: nil))
        #expect(Set(after.keys) == ["B1", "B2"])
        var areas: [FieldValue] = []
        try store.features(layer: "admin_areas", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27),
                           during: TimeFilter(start: "2020-01-01", end: "2022-01-01"), limit: nil) { areas.append($0.values[1]) }
        #expect(Set(areas) == [.string("梅列区"), .string("三元区")])
    }

    @Test func areaPopulationOnAPastDayCountsThatDaysResidents() throws {
        let (db, store) = try loaded()
        _ = db
        #expect(try store.adminAreas(level: .county, asOf: "2001-06-01").first?.population == 0)
        #expect(try store.adminAreas(level: .county, asOf: "2015-01-01").first?.population == 5)
        var labels: [FieldValue] = []
        try store.features(layer: "admin_labels", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27),
                           during: .instant("2001-06-01"), limit: nil) { labels.append($0.values[3]) }
        #expect(labels == [.int(0)])
    }

    @Test func versionsOfOneBuildingFollowEachOtherAndNeverOverlap() throws {
        let (db, store) = try loaded()
        _ = db
        try addTwoVersionsOfB8(store)
        #expect(try buildingFloors(store, "B8", on: "2017-12-31") == [4])
        #expect(try buildingFloors(store, "B8", on: "2018-01-01") == [6])
        #expect {
            try store.bulkLoad { w in
                try w.add(Building(entityCode: "B8", footprint: rect(117.25, 26.25), floors: 9, use: "residential",
                                   builtDate: "2001-03-04", validFrom: "2019-01-01"))
            }
        } throws: { "\($0)".contains("overlaps") }
        #expect(try store.count(layer: "buildings") == 5)
    }

    @Test func changeListShowsCreationsModificationsAndRemovalsWithBeforeAndAfter() throws {
        let (db, store) = try loaded()
        _ = db
        try addTwoVersionsOfB8(store)
        let list = try store.changes(layer: "buildings", from: "2000-01-01", to: "2020-01-01", bbox: nil, limit: 100, offset: 0)
        let summary = list.changes.map { "\($0.kind.rawValue) \($0.entity) \($0.date)" }
        #expect(summary == ["created B1 2001-03-04", "created B8 2001-03-04", "removed B3 2005-06-01",
                            "created B2 2010-01-01", "modified B8 2018-01-01"])
        let floors = try #require(list.fields.firstIndex(of: "floors"))
        let modified = list.changes.last!
        #expect(modified.before?[floors] == .int(4) && modified.after?[floors] == .int(6))
        // From is exclusive, to inclusive; paging keeps the exact total.
        let page = try store.changes(layer: "buildings", from: "2001-03-04", to: "2018-01-01", bbox: nil, limit: 2, offset: 2)
        #expect(page.numberMatched == 3 && page.changes.map(\.entity) == ["B8"])
        let boxed = try store.changes(layer: "buildings", from: "2000-01-01", to: "2020-01-01",
                                      bbox: BBox(minX: 117.69, minY: 26.69, maxX: 117.71, maxY: 26.71), limit: 100, offset: 0)
        #expect(boxed.changes.map(\.entity) == ["B2"])
        let areas = try store.changes(layer: "admin_areas", from: "2021-01-01", to: "2021-12-31", bbox: nil, limit: 10, offset: 0)
        #expect(areas.changes.map { "\($0.kind.rawValue) \($0.entity)" } == ["removed 350402", "created 350404"])
        #expect(throws: StoreError.self) { _ = try store.changes(layer: "population", from: "2000-01-01", to: "2001-01-01", bbox: nil, limit: 1, offset: 0) }
    }

    /// B8 gets two more floors in 2018: the first version ends that day, the second starts.
    func addTwoVersionsOfB8(_ store: SpatiaLiteStore) throws {
        try store.bulkLoad { w in
            try w.add(Building(entityCode: "B8", footprint: rect(117.25, 26.25), floors: 4, use: "residential",
                               builtDate: "2001-03-04", validTo: "2018-01-01"))
            try w.add(Building(entityCode: "B8", footprint: rect(117.25, 26.25), floors: 6, use: "residential",
                               builtDate: "2001-03-04", validFrom: "2018-01-01"))
        }
    }

    func buildingFloors(_ store: SpatiaLiteStore, _ code: String, on day: String) throws -> [Int64] {
        var out: [Int64] = []
        try store.features(layer: "buildings", intersecting: BBox(minX: 117, minY: 26, maxX: 118, maxY: 27), during: .instant(day), limit: nil) { f in
            if f.values[0] == .string(code), case .int(let n) = f.values[1] { out.append(n) }
        }
        return out
    }

    @Test func overlappingAreaVersionsOfOneCodeAreRefused() throws {
        let (db, store) = try loaded()
        _ = db
        var overlapping = Self.old
        overlapping.validFrom = "2020-01-01"; overlapping.validTo = "2022-01-01"
        #expect {
            try store.bulkLoad { w in try w.add(overlapping) }
        } throws: { "\($0)".contains("overlaps") }
    }

    /// A load that fails part-way must leave `layer` with the `count` rows it had before.
    func expectLoadRefused<E: Error>(_ store: SpatiaLiteStore, with error: E.Type, leaving layer: String, at count: Int,
                                     _ body: (any BulkWriter) throws -> Void) throws {
        #expect(throws: error) { try store.bulkLoad(body) }
        #expect(try store.count(layer: layer) == count)
    }

    @Test func failedBulkLoadLeavesNothingBehind() throws {
        let (db, store) = try loaded()
        _ = db
        try expectLoadRefused(store, with: SomethingWentWrong.self, leaving: "buildings", at: 3) { w in
            try w.add(Building(entityCode: "B9", footprint: rect(117.4, 26.4), floors: 3, use: "residential", builtDate: "2015-01-01"))
            throw SomethingWentWrong()
        }
    }

    @Test func wrongCreditCodeCheckCharacterIsRefusedAndRolledBack() throws {
        let (db, store) = try loaded()
        _ = db
        try expectLoadRefused(store, with: StoreError.self, leaving: "businesses", at: 1) { w in
            try w.add(BusinessRecord(creditCode: "9144030071526726XA", name: "坏代码", industry: "C", employees: 1,
                                     registered: "2020-01-01", buildingCode: "B1"))
        }
    }

    @Test func overlappingVersionOfAStoredBuildingFailsTheWholeLoad() throws {
        let (db, store) = try loaded()
        _ = db
        // B1 is valid from 2001 with no end: a second version from 2015 overlaps it.
        try expectLoadRefused(store, with: StoreError.self, leaving: "buildings", at: 3) { w in
            try w.add(Building(entityCode: "B7", footprint: rect(117.4, 26.4), floors: 3, use: "residential", builtDate: "2015-01-01"))
            try w.add(Building(entityCode: "B1", footprint: rect(117.4, 26.4), floors: 3, use: "residential", builtDate: "2015-01-01"))
        }
    }

    @Test func reopeningAnExistingDatabaseKeepsItsData() throws {
        let (db, store) = try loaded()
        _ = store
        let again = try SpatiaLiteStore(path: db.path)
        #expect(try again.count(layer: "population") == 7)
    }

    @Test func openingAMissingDatabaseSaysHowToCreateIt() {
        #expect {
            try SpatiaLiteStore(path: "/nonexistent/onemap.sqlite")
        } throws: { "\($0)".contains("onemap demo") }
    }

    @Test func extentComesFromTheSpatialIndex() throws {
        let (db, store) = try loaded()
        _ = db
        let e = try #require(try store.extent(layer: "buildings"))
        #expect(abs(e.minX - 117.2) < 1e-4 && abs(e.maxY - 26.7002) < 1e-4)
    }
}

@Suite struct CreditCodeTests {
    @Test(arguments: ["9144030071526726XG", "91330100716105852F"])  // Tencent (Shenzhen), Alibaba (China)
    func realWorldCodesHaveValidCheckCharacters(_ code: String) {
        #expect(CreditCode.isValid(code))
    }

    @Test func anyOtherCheckCharacterIsRejected() {
        let body = "9144030071526726X"
        let good = CreditCode.checkCharacter(for: body)
        for c in CreditCode.alphabet where c != good {
            #expect(!CreditCode.isValid(body + String(c)))
        }
    }

    @Test(arguments: ["", "91440300715267", "9144030071526726XGG", "914403007152672IXG", "9144030071526726xg"])
    func malformedCodesAreRejected(_ code: String) {
        #expect(!CreditCode.isValid(code))
    }

    @Test func organisationCheckDigitFollowsGB11714() {
        // 71526726-X is Tencent's organisation code, embedded in its credit code above.
        #expect(CreditCode.organizationCheck(for: "71526726") == "X")
        #expect(CreditCode.organizationCheck(for: "71610585") == "2")
    }
}
