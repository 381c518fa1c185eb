import Foundation
import OneMapGeo
import OneMapStore
import Testing

/// Feature reads give the same answers on every backend for the same data: ids, geometries,
/// values, counts on other days, filters, sort orders and pages.
@Suite struct FeatureContractTests {
    static let city = BBox(minX: 117, minY: 26, maxX: 118, maxY: 27)

    @Test(arguments: Backend.allCases) func buildingsCarryTheirCountsAsOfTheDayAsked(_ backend: Backend) throws {
        let db = try backend.fresh()
        try SmallCity.load(into: db.store)
        var got: [StoredFeature] = []
        try db.store.features(layer: "buildings", intersecting: Self.city, during: .instant("2024-01-01"), limit: nil) { got.append($0) }
        #expect(got.map(\.values.first) == [.string("B1"), .string("B2")])  // B3 was demolished in 2005
        #expect(got[0].geometry == rect(117.2, 26.2) && got[0].values[1] == .int(6) && got[0].values[4] == .null)
        #expect(got[0].values[5] == .int(5) && got[1].values[5] == .int(1) && got[1].values[6] == .int(1))
        // Another day: counted then, not as stored.
        var then: [StoredFeature] = []
        try db.store.features(layer: "buildings", intersecting: Self.city, during: .instant("2015-01-01"), limit: nil) { then.append($0) }
        #expect(then.map { $0.values[5] } == [.int(5), .int(2)])
        #expect(try db.store.count(layer: "population") == 7)
        // As a spatial index keeps it: rounded outward to single precision, the same on every backend.
        #expect(try db.store.extent(layer: "buildings")
                == BBox(minX: 117.19999694824219, minY: 26.199996948242188, maxX: 117.70020294189453, maxY: 26.70020294189453))
    }

    @Test(arguments: Backend.allCases) func areasFollowTheCentroidRuleOnEveryDay(_ backend: Backend) throws {
        let db = try backend.fresh()
        try SmallCity.load(into: db.store)
        let now = try db.store.adminAreas(level: .county, asOf: "2024-01-01")
        #expect(now.map(\.code) == ["350404"] && now[0].population == 6)
        let before = try db.store.adminAreas(level: .county, asOf: "2018-01-01")
        #expect(before.map(\.code) == ["350402"] && before[0].population == 5)  // B2 lies outside the old county
        var labels: [StoredFeature] = []
        try db.store.features(layer: "admin_labels", intersecting: Self.city, during: .instant("2024-01-01"), limit: nil) { labels.append($0) }
        #expect(labels.count == 1 && labels[0].values[0] == .string("350404"))
    }

    @Test(arguments: Backend.allCases) func filtersSortsAndPagesAgree(_ backend: Backend) throws {
        let db = try backend.fresh()
        try SmallCity.load(into: db.store)
        var q = FeatureQuery(layer: "buildings", time: TimeFilter(start: nil, end: nil))
        q.filter = .compare(">=", .property("floors"), .number(2))
        q.sortBy = [(field: "use", ascending: false)]
        var got: [String] = []
        try db.store.queryFeatures(q) { got.append(String(describing: $0.values[0])) }
        #expect(got == [String(describing: FieldValue.string("B1")), String(describing: FieldValue.string("B2"))])
        #expect(try db.store.countFeatures(q) == 2)
        q.limit = 1; q.offset = 1
        var page: [StoredFeature] = []
        try db.store.queryFeatures(q) { page.append($0) }
        #expect(page.map(\.values.first) == [.string("B2")])
        var unknown = FeatureQuery(layer: "buildings", time: TimeFilter(start: nil, end: nil))
        unknown.filter = .compare("=", .property("colour"), .text("red"))
        let e = try #require(throws: StoreError.self) { try db.store.countFeatures(unknown) }
        #expect(e.message.hasPrefix("filter: layer buildings has no property 'colour'"))
    }

    /// The two backends, loaded alike, answer alike: every feature of every layer, field by field.
    @Test func bothBackendsReturnIdenticalFeatures() throws {
        let a = try Backend.spatialite.fresh(), b = try Backend.postgres.fresh()
        try SmallCity.load(into: a.store)
        try SmallCity.load(into: b.store)
        for layer in ["admin_areas", "admin_labels", "buildings"] {
            for day in ["2000-01-01", "2015-06-30", "2024-01-01"] {
                var x: [StoredFeature] = [], y: [StoredFeature] = []
                try a.store.features(layer: layer, intersecting: Self.city, during: .instant(day), limit: nil) { x.append($0) }
                try b.store.features(layer: layer, intersecting: Self.city, during: .instant(day), limit: nil) { y.append($0) }
                #expect(x.map(\.id) == y.map(\.id), "\(layer) on \(day)")
                #expect(x.map(\.geometry) == y.map(\.geometry), "\(layer) on \(day)")
                #expect(x.map(\.values) == y.map(\.values), "\(layer) on \(day)")
            }
        }
        #expect(try a.store.layers() == b.store.layers())
        for layer in ["admin_areas", "buildings"] { #expect(try a.store.extent(layer: layer) == b.store.extent(layer: layer)) }
        for day in ["2018-01-01", "2024-01-01"] {
            #expect(try a.store.adminAreas(level: nil, asOf: day) == b.store.adminAreas(level: nil, asOf: day))
        }
    }

    /// A department layer of every field type, imported new (PostgreSQL: one binary COPY) and then
    /// changed (a text COPY beside lookups), reads back alike on both backends: odd text
    /// (tabs, backslashes, newlines, CJK), large and negative numbers, booleans, dates and NULLs.
    @Test func aLayerOfEveryFieldTypeReadsBackAlikeOnBothBackends() throws {
        let layer = LayerInfo(id: "sites", title: "Sites", description: "", geometryType: .polygon,
                              fields: [FieldInfo("code", .string, "code"), FieldInfo("name", .string, "name"), FieldInfo("storeys", .integer, "storeys"),
                                       FieldInfo("area", .number, "area"), FieldInfo("open", .boolean, "open"), FieldInfo("since", .date, "since")],
                              ownerDepartment: "SMDSJ", shareClass: .unconditional, minZoom: 10, maxZoom: 16)
        let names = ["三明\t沙县", "back\\slash", "line\nbreak", "plain", "\"quoted\""]
        func record(_ i: Int, changed: Bool) -> KeyedRecord {
            let suffix = changed && i % 2 == 0 ? "改" : ""
            let name: FieldValue = i % 7 == 0 ? .null : .string(names[i % 5] + suffix)
            let storeys: FieldValue = i % 11 == 0 ? .null : .int(Int64(i % 3 == 0 ? -i : i * 1_000_003))
            let area: FieldValue = i % 13 == 0 ? .null : .double(Double(i) * 0.1 + 1e-7)
            let since: FieldValue = i % 5 == 0 ? .null : .string("2020-0\(1 + i % 9)-1\(i % 10)")
            let values: [String: FieldValue] = ["name": name, "storeys": storeys, "area": area, "open": .bool(i % 2 == 0), "since": since]
            return KeyedRecord(row: i + 1, key: "K\(i)", values: values, geometry: rect(117.2 + Double(i % 50) * 0.001, 26.2 + Double(i / 50) * 0.001))
        }
        func records(_ n: Int, changed: Bool) -> [KeyedRecord] { (0..<n).map { record($0, changed: changed) } }
        let a = try Backend.spatialite.fresh(), b = try Backend.postgres.fresh()
        for db in [a, b] {
            try SmallCity.load(into: db.store)
            _ = try db.store.applyVersions(layer: layer, records: records(300, changed: false), alreadyRejected: [], mode: .upsert,
                                           validFrom: "2024-01-01", skipBad: false, progress: { _ in })
            let s = try db.store.applyVersions(layer: layer, records: records(300, changed: true), alreadyRejected: [], mode: .upsert,
                                               validFrom: "2024-06-01", skipBad: false, progress: { _ in })
            // Even keys with a name changed: 150 even keys, 22 of them without a name (multiples of 14).
            #expect(s.updated == 128 && s.inserted == 0, "\(s)")
        }
        for day in ["2024-03-01", "2024-07-01"] {
            var x: [StoredFeature] = [], y: [StoredFeature] = []
            try a.store.features(layer: "sites", intersecting: Self.city, during: .instant(day), limit: nil) { x.append($0) }
            try b.store.features(layer: "sites", intersecting: Self.city, during: .instant(day), limit: nil) { y.append($0) }
            #expect(x.count == 300)
            #expect(x.map(\.id) == y.map(\.id), "ids on \(day)")
            #expect(x.map(\.geometry) == y.map(\.geometry), "geometries on \(day)")
            #expect(x.map(\.values) == y.map(\.values), "values on \(day)")
        }
    }
}
