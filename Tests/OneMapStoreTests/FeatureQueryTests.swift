import Foundation
import OneMapGeo
import OneMapStore
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
}
