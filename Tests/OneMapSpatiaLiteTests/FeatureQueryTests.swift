import Foundation
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite
import Testing

/// Feature queries (the OGC API items behind them): counts, pages and filters agree with a brute
/// force over the same records, across versions.
@Suite struct FeatureQueryTests {
    let dir = NSTemporaryDirectory() + "onemap-query-\(UUID().uuidString)"

    static let layer = LayerInfo(id: "parcels", title: "parcels", description: "test", geometryType: .polygon,
                                 fields: [FieldInfo("code", .string, "key"), FieldInfo("size", .integer, "size"), FieldInfo("kind", .string, "kind")],
                                 ownerDepartment: "SMZRZY", shareClass: .unconditional)

    func loaded() throws -> (SpatiaLiteStore, [KeyedRecord]) {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try SpatiaLiteStore(path: dir + "/db.sqlite", create: true)
        var rng = SeededGenerator(seed: 7)
        let records = (0..<3000).map { i in
            let x = 117.3 + Double.random(in: 0...0.6, using: &rng), y = 26.0 + Double.random(in: 0...0.4, using: &rng)
            let d = Double.random(in: 0.0001...0.003, using: &rng)
            let ring = [Position(x, y), Position(x + d, y), Position(x + d, y + d), Position(x, y + d), Position(x, y)]
            return KeyedRecord(row: i + 1, key: "Q\(i)", values: ["size": .int(Int64(i % 17)), "kind": .string(i % 3 == 0 ? "farm" : "town")],
                               geometry: .polygon([ring]))
        }
        _ = try store.applyVersions(layer: Self.layer, records: records, alreadyRejected: [], mode: .upsert, validFrom: "2020-01-01", skipBad: false) { _ in }
        // A later push changes the first 500: their 2020 versions close on 2023-01-01.
        let changed = records.prefix(500).map { KeyedRecord(row: $0.row, key: $0.key, values: ["size": .int(99), "kind": .string("farm")], geometry: $0.geometry) }
        _ = try store.applyVersions(layer: Self.layer, records: Array(changed), alreadyRejected: [], mode: .upsert, validFrom: "2023-01-01", skipBad: false) { _ in }
        return (store, records)
    }

    @Test func countsAndPagesMatchABruteForceForManyBoxesAndFilters() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, records) = try loaded()
        var rng = SeededGenerator(seed: 11)
        for trial in 0..<25 {
            let x = 117.3 + Double.random(in: 0...0.5, using: &rng), y = 26.0 + Double.random(in: 0...0.3, using: &rng)
            let box = BBox(minX: x, minY: y, maxX: x + Double.random(in: 0.01...0.2, using: &rng), maxY: y + Double.random(in: 0.01...0.2, using: &rng))
            let day = trial % 2 == 0 ? "2021-06-01" : "2024-06-01"
            let filter = trial % 3 == 0 ? [PropertyEquals(field: "kind", value: .string("farm"))] : []
            // Brute force: which keys, with which values, stood that day inside the box.
            let expected = Set(records.enumerated().compactMap { i, r -> String? in
                let b = r.geometry.bbox!
                guard b.minX <= box.maxX, b.maxX >= box.minX, b.minY <= box.maxY, b.maxY >= box.minY else { return nil }
                let kind = (day >= "2023-01-01" && i < 500) ? "farm" : (i % 3 == 0 ? "farm" : "town")
                return filter.isEmpty || kind == "farm" ? r.key : nil
            })
            var q = FeatureQuery(layer: "parcels", bbox: box, time: .instant(day), equals: filter)
            #expect(try store.countFeatures(q) == expected.count)
            // Pages of 37, in id order, add up to the same features once each.
            var paged: [String] = [], ids: [Int64] = []
            q.limit = 37
            while true {
                var n = 0
                try store.queryFeatures(q) { f in
                    n += 1; ids.append(f.id)
                    if case .string(let k) = f.values[0] { paged.append(k) }
                }
                if n < 37 { break }
                q.offset += 37
            }
            #expect(paged.count == expected.count && Set(paged) == expected)
            #expect(ids == ids.sorted())
        }
    }

    @Test func noBoxMeansTheWholeLayerAndOneFeatureIsFoundByItsId() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, _) = try loaded()
        #expect(try store.countFeatures(FeatureQuery(layer: "parcels", time: .instant("2024-01-01"))) == 3000)
        // All versions ever: 3,000 first versions and 500 later ones.
        #expect(try store.countFeatures(FeatureQuery(layer: "parcels", time: TimeFilter(start: nil, end: "2030-01-01"))) == 3500)
        let q = FeatureQuery(layer: "parcels", time: .instant("2024-01-01"), equals: [PropertyEquals(field: "size", value: .int(99))], limit: 1)
        var first: StoredFeature?
        try store.queryFeatures(q) { first = $0 }
        let f = try #require(first)
        let again = try #require(try store.feature(layer: "parcels", id: f.id, countsOn: "2024-01-01"))
        #expect(again.values == f.values && again.geometry == f.geometry)
        #expect(try store.feature(layer: "parcels", id: 987_654, countsOn: "2024-01-01") == nil)
        #expect(throws: StoreError.self) {
            try store.countFeatures(FeatureQuery(layer: "parcels", time: .today(), equals: [PropertyEquals(field: "colour", value: .string("red"))]))
        }
    }

    @Test func cql2FiltersMatchABruteForce() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, records) = try loaded()
        let day = "2021-06-01"  // before the 2023 changes: sizes i % 17, kinds by i % 3
        func count(_ f: FilterExpression) throws -> Int { try store.countFeatures(FeatureQuery(layer: "parcels", time: .instant(day), filter: f)) }
        func brute(_ keep: (Int, KeyedRecord) -> Bool) -> Int { records.enumerated().filter { keep($0.offset, $0.element) }.count }
        #expect(try count(.and([.compare("=", .property("kind"), .text("farm")), .between(.property("size"), .number(3), .number(9))])) ==
                brute { i, _ in i % 3 == 0 && (3...9).contains(i % 17) })
        #expect(try count(.or([.inList(.property("size"), [.number(1), .number(2)]), .not(.like(.property("code"), "Q1%"))])) ==
                brute { i, r in [1, 2].contains(i % 17) || !r.key.hasPrefix("Q1") })
        let area = Geometry.polygon([[Position(117.4, 26.1), Position(117.6, 26.1), Position(117.6, 26.3), Position(117.4, 26.3), Position(117.4, 26.1)]])
        #expect(try count(.spatial(.intersects, area)) == brute { _, r in
            let b = r.geometry.bbox!
            return b.minX <= 117.6 && b.maxX >= 117.4 && b.minY <= 26.3 && b.maxY >= 26.1
        })
        #expect(try count(.spatial(.within, area)) == brute { _, r in
            let b = r.geometry.bbox!
            return b.minX > 117.4 && b.maxX < 117.6 && b.minY > 26.1 && b.maxY < 26.3
        })
        // Valid time: the 500 second versions start in 2023; all versions of all time are 3,500.
        let all = FeatureQuery(layer: "parcels", time: TimeFilter(start: nil, end: nil), filter: .temporalIntersects(.validTime, start: "2024-01-01", end: nil))
        #expect(try store.countFeatures(all) == 3000)
        #expect(throws: StoreError.self) { try count(.compare("=", .property("colour"), .text("red"))) }
    }


    @Test func sortedPagesFollowTheKeysThenTheId() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, _) = try loaded()
        var q = FeatureQuery(layer: "parcels", time: .instant("2021-06-01"), limit: 100)
        q.sortBy = [("size", false)]
        var seen: [(Int64, Int64)] = []
        while true {
            var n = 0
            try store.queryFeatures(q) { f in
                n += 1
                if case .int(let size) = f.values[1] { seen.append((size, f.id)) }
            }
            if n < 100 { break }
            q.offset += 100
        }
        #expect(seen.count == 3000 && Set(seen.map(\.1)).count == 3000)
        // Descending size, ascending id within a size: pages neither repeat nor skip.
        #expect(zip(seen, seen.dropFirst()).allSatisfy { a, b in a.0 > b.0 || (a.0 == b.0 && a.1 < b.1) })
        q.sortBy = [("colour", true)]
        #expect(throws: StoreError.self) { try store.queryFeatures(q) { _ in } }
    }

}
