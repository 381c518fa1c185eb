import Foundation
import OneMapGeo
@testable import OneMapStore
@testable import OneMapSpatiaLite
import Testing

/// Bulk imports write SpatiaLite geometry BLOBs themselves and pack the R*Tree in one pass: the
/// results must be what SpatiaLite and SQLite would have made.
@Suite struct BulkSpatialIndexTests {
    let dir = NSTemporaryDirectory() + "onemap-rtree-\(UUID().uuidString)"

    func store() throws -> SpatiaLiteStore {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try SpatiaLiteStore(path: dir + "/db.sqlite", create: true)
    }

    static let layer = LayerInfo(id: "parcels", title: "parcels", description: "test", geometryType: .polygon,
                                 fields: [FieldInfo("code", .string, "key"), FieldInfo("size", .integer, "size")],
                                 ownerDepartment: "SMZRZY", shareClass: .unconditional)

    static func records(_ n: Int, shift: Double = 0, seed: UInt64) -> [KeyedRecord] {
        var rng = SeededGenerator(seed: seed)
        return (0..<n).map { i in
            let x = 116.5 + Double.random(in: 0...2, using: &rng) + shift, y = 25.6 + Double.random(in: 0...1.4, using: &rng)
            let d = Double.random(in: 0.00005...0.002, using: &rng)
            let ring = [Position(x, y), Position(x + d, y), Position(x + d, y + d), Position(x, y + d), Position(x, y)]
            return KeyedRecord(row: i + 1, key: "P\(i)", values: ["size": .int(Int64(i))], geometry: .polygon([ring]))
        }
    }

    func check(_ store: SpatiaLiteStore, against records: [KeyedRecord]) throws {
        try store.withReader { c in
            let s = try c.prepare("SELECT rtreecheck('idx_layer_parcels_geom')")
            #expect(try s.step() && s.text(0) == "ok")
            // Our BLOBs read back through SpatiaLite as the same geometry.
            let blob = try c.prepare("SELECT entity_key, AsBinary(geom), ST_SRID(geom), GeometryType(geom) FROM layer_parcels WHERE valid_to IS NULL LIMIT 50")
            let byKey = Dictionary(uniqueKeysWithValues: records.map { ($0.key, $0.geometry) })
            while try blob.step() {
                let g = try #require(byKey[blob.text(0) ?? ""])
                #expect(blob.withBlob(1) { Array($0) } == WKB.encode(g))
                #expect(blob.int(2) == 4490 && blob.text(3) == "POLYGON")
            }
        }
        var rng = SeededGenerator(seed: 99)
        for _ in 0..<40 {
            let x = 116.4 + Double.random(in: 0...2.2, using: &rng), y = 25.5 + Double.random(in: 0...1.5, using: &rng)
            let box = BBox(minX: x, minY: y, maxX: x + 0.05, maxY: y + 0.05)
            var got = Set<String>()
            try store.features(layer: "parcels", intersecting: box, during: .instant("2030-01-01"), limit: nil) {
                if case .string(let k) = $0.values[0] { got.insert(k) }
            }
            let expected = Set(records.filter { r in
                let b = r.geometry.bbox!
                return b.minX <= box.maxX && b.maxX >= box.minX && b.minY <= box.maxY && b.maxY >= box.minY
            }.map(\.key))
            #expect(got == expected)
        }
    }

    @Test func bulkLoadedIndexIsAValidRTreeThatFindsWhatBruteForceFinds() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = try store()
        let first = Self.records(12_000, seed: 1)  // 12,000 / 51 per node: three levels
        let r = try store.applyVersions(layer: Self.layer, records: first, alreadyRejected: [], mode: .upsert, validFrom: "2024-01-01",
                                        skipBad: false) { _ in }
        #expect(r.inserted == 12_000)
        try check(store, against: first)
        // A large second import moves every parcel: the rebuilt index follows the new versions.
        let moved = Self.records(12_000, shift: 0.01, seed: 1)
        let r2 = try store.applyVersions(layer: Self.layer, records: moved, alreadyRejected: [], mode: .upsert, validFrom: "2025-01-01",
                                         skipBad: false) { _ in }
        #expect(r2.updated == 12_000)
        try check(store, against: moved)
        // A small change goes through SpatiaLite's own triggers, which must still be in place.
        let one = [KeyedRecord(row: 1, key: "P0", values: ["size": .int(-1)], geometry: moved[1].geometry)]
        _ = try store.applyVersions(layer: Self.layer, records: one, alreadyRejected: [], mode: .upsert, validFrom: "2026-01-01",
                                    skipBad: false) { _ in }
        var current = moved
        current[0] = KeyedRecord(row: 1, key: "P0", values: [:], geometry: moved[1].geometry)
        try check(store, against: current)
    }

    @Test func emptyTextAndBlobAreBoundAsEmptyValuesNotNull() throws {
        let c = try SQLiteConnection(path: ":memory:")
        let s = try c.prepare("SELECT ?1 IS NULL, typeof(?1), ?2 IS NULL, typeof(?2), length(?2), ?3, length(CAST(?3 AS BLOB))")
        try s.bind([SQLValue.text(""), .blob([]), .text("三明市 ok")])
        #expect(try s.step())
        #expect(s.int(0) == 0 && s.text(1) == "text")
        #expect(s.int(2) == 0 && s.text(3) == "blob" && s.int(4) == 0)
        #expect(s.text(5) == "三明市 ok" && s.int(6) == Int64("三明市 ok".utf8.count))
    }

    @Test func floatBoxesAreRoundedOutwards() {
        for d in [117.60000001, -25.123456789, 26.2448588, 0.1] {
            #expect(Double(RTreeBulkLoader.down(d)) <= d && Double(RTreeBulkLoader.up(d)) >= d)
        }
    }
}

/// A deterministic generator for reproducible fixtures (SplitMix64).
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE5_E4B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
