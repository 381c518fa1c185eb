import Foundation
import OneMapGeo
import OneMapStore
import OneMapSpatiaLite
import Testing
@testable import OneMapTiles

/// Tiles from in-memory layer snapshots equal tiles from the store; aggregate cells below a dense
/// layer's minZoom add up to the layer's totals; changes drop snapshots.
@Suite struct LayerSnapshotTests {
    let dir = NSTemporaryDirectory() + "onemap-snapshot-\(UUID().uuidString)"

    static let layer = LayerInfo(id: "shops", title: "shops", description: "test", geometryType: .polygon,
                                 fields: [FieldInfo("code", .string, "key"), FieldInfo("kind", .string, "kind"),
                                          FieldInfo("population", .integer, "people"), FieldInfo("phone", .string, "phone", sensitivity: .personal),
                                          FieldInfo("height", .number, "not additive")],
                                 ownerDepartment: "SMSCJG", shareClass: .unconditional, minZoom: 13)

    /// 3,000 small squares (and a few large ones) around Sanming; the first 500 changed in 2023.
    func loaded() throws -> (SpatiaLiteStore, population: Int64) {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let store = try SpatiaLiteStore(path: dir + "/db.sqlite", create: true)
        var rng = SplitMix(seed: 5)
        var total: Int64 = 0
        let records = (0..<3000).map { i -> KeyedRecord in
            let x = 117.55 + rng.unit() * 0.12, y = 26.2 + rng.unit() * 0.08
            // Every 250th is 3-5 km wide: larger than a snapshot grid cell.
            let d = i % 250 == 0 ? 0.03 + rng.unit() * 0.02 : 0.0002 + rng.unit() * 0.001
            let ring = [Position(x, y), Position(x + d, y), Position(x + d, y + d * 0.7), Position(x, y + d), Position(x, y)]
            let people = Int64(i % 13)
            if i >= 500 { total += people }
            return KeyedRecord(row: i + 1, key: "S\(i)", values: [
                "kind": .string(["food", "retail", "service"][i % 3]), "population": .int(people),
                "phone": .string("1380000\(String(format: "%04d", i))"), "height": .double(Double(i % 40) + 0.5)],
                geometry: .polygon([ring]))
        }
        _ = try store.applyVersions(layer: Self.layer, records: records, alreadyRejected: [], mode: .upsert, validFrom: "2020-01-01", skipBad: false) { _ in }
        let changed = records.prefix(500).map { r in
            KeyedRecord(row: r.row, key: r.key, values: r.values.merging(["population": .int(100)]) { $1 }, geometry: r.geometry)
        }
        total += 500 * 100
        _ = try store.applyVersions(layer: Self.layer, records: Array(changed), alreadyRejected: [], mode: .upsert, validFrom: "2023-01-01", skipBad: false) { _ in }
        return (store, total)
    }

    /// Features of a tile layer: id -> (properties, geometry commands).
    func features(_ tile: [UInt8], layer: String = "shops") throws -> [UInt64: ([String: MiniMVTDecoder.Value], [UInt32])] {
        var r = MiniMVTDecoder.Reader(b: tile)
        var out: [UInt64: ([String: MiniMVTDecoder.Value], [UInt32])] = [:]
        while !r.done {
            let key = try r.varint()
            #expect(key == 3 << 3 | 2)
            let l = try MiniMVTDecoder.decodeLayer(try r.bytes())
            guard l.name == layer else { continue }
            for (k, id) in l.featureIDs.enumerated() {
                var props: [String: MiniMVTDecoder.Value] = [:]
                let tags = l.tags[k]
                for t in stride(from: 0, to: tags.count, by: 2) { props[l.keys[Int(tags[t])]] = l.values[Int(tags[t + 1])] }
                out[id] = (props, l.geometries[k])
            }
        }
        return out
    }

    func tiles(zoom: Int) -> [TileCoord] {
        let lo = WebMercatorQuad.project(lon: 117.54, lat: 26.19), hi = WebMercatorQuad.project(lon: 117.73, lat: 26.29)
        let n = Double(1 << zoom), w = 2 * WebMercatorQuad.originShift
        let x0 = Int((lo.x + WebMercatorQuad.originShift) / w * n), x1 = Int((hi.x + WebMercatorQuad.originShift) / w * n)
        let y0 = Int((WebMercatorQuad.originShift - hi.y) / w * n), y1 = Int((WebMercatorQuad.originShift - lo.y) / w * n)
        return (y0...y1).flatMap { y in (x0...x1).map { x in try! TileCoord(z: zoom, x: x, y: y) } }
    }

    @Test func snapshotTilesDecodeEqualToStoreTilesForWholeAndMaskedViews() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, _) = try loaded()
        let fromStore = TileBuilder(store: store, snapshots: false)
        let fromMemory = TileBuilder(store: store)
        let today = ISODate.string(Date())
        _ = try fromMemory.snapshots!.ready(Self.layer, day: today)
        let views = [LayerView.full(Self.layer), LayerView(layer: Self.layer, visible: [0, 1, 3], masked: [3])]
        var compared = 0
        for zoom in [13, 14, 16] {
            for coord in tiles(zoom: zoom).prefix(40) {
                for view in views {
                    let storeBytes = try fromStore.tile(views: [view], at: coord, during: .today()).bytes
                    let memoryBytes = try fromMemory.tile(views: [view], at: coord, during: .today()).bytes
                    // Byte for byte: the ETag of a tile does not depend on where it was made.
                    #expect(storeBytes == memoryBytes, "tile \(coord)")
                    let a = try features(storeBytes), b = try features(memoryBytes)
                    #expect(Set(a.keys) == Set(b.keys), "tile \(coord)")
                    for (id, (props, geometry)) in a {
                        #expect(b[id]?.0 == props && b[id]?.1 == geometry, "feature \(id) of \(coord)")
                    }
                    if view.masked.isEmpty == false, let any = b.values.first {
                        #expect(any.0["phone"].map { if case .string(let s) = $0 { s.contains("****") } else { false } } ?? false)
                        #expect(any.0["population"] == nil)
                    }
                    compared += a.count
                }
            }
        }
        #expect(compared > 1000)
        // Another day is read from the store, and shows that day's values.
        let past = try features(fromMemory.tile(views: [.full(Self.layer)], at: tiles(zoom: 13)[0], during: .instant("2021-06-01")).bytes)
        let pastFromStore = try features(fromStore.tile(views: [.full(Self.layer)], at: tiles(zoom: 13)[0], during: .instant("2021-06-01")).bytes)
        #expect(past.count == pastFromStore.count)
    }

    @Test(arguments: [10, 12])
    func aggregateCellsBelowMinZoomAddUpToTheLayersTotals(zoom: Int) throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, population) = try loaded()
        let fromMemory = TileBuilder(store: store)
        _ = try fromMemory.snapshots!.ready(Self.layer, day: ISODate.string(Date()))
        for builder in [TileBuilder(store: store, snapshots: false), fromMemory] {
            var count: UInt64 = 0, people: UInt64 = 0
            for coord in tiles(zoom: zoom) {
                for (_, (props, geometry)) in try features(builder.tile(views: [.full(Self.layer)], at: coord, during: .today()).bytes) {
                    guard case .uint(let n)? = props["count"], case .uint(let p)? = props["population"] else {
                        Issue.record("a cell without count or population: \(props)"); continue
                    }
                    #expect(n > 0 && props["height"] == nil && props["kind"] == nil)
                    if case .double(let a)? = props["area_km2"] {
                        #expect(a > 0)
                        // Density: features per km², to a tenth.
                        if case .double(let d)? = props["density"] { #expect(abs(d - Double(n) / a) <= 0.05 + 1e-9) } else { Issue.record("no density") }
                    } else { Issue.record("no area_km2") }
                    #expect(geometry.count == 11)  // MoveTo, LineTo x3, ClosePath: a square
                    count += n; people += p
                }
            }
            #expect(count == 3000 && Int64(people) == population)
        }
        // A view without the population field gets counts only.
        let coord = tiles(zoom: zoom)[0]
        let limited = LayerView(layer: Self.layer, visible: [0, 1])
        for (_, (props, _)) in try features(fromMemory.tile(views: [limited], at: coord, during: .today()).bytes) {
            #expect(props["population"] == nil && props["count"] != nil)
        }
    }

    @Test func detailOverTheByteBudgetBecomesCells() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, _) = try loaded()
        var settings = TileSettings()
        settings.layerByteBudget = 2_000
        let builder = TileBuilder(store: store, settings: settings)
        let coord = tiles(zoom: 13).max { try! features(TileBuilder(store: store, snapshots: false).tile(views: [.full(Self.layer)], at: $0, during: .today()).bytes).count
            < (try! features(TileBuilder(store: store, snapshots: false).tile(views: [.full(Self.layer)], at: $1, during: .today()).bytes).count) }!
        let cells = try features(builder.tile(views: [.full(Self.layer)], at: coord, during: .today()).bytes)
        #expect(!cells.isEmpty && cells.values.allSatisfy { $0.0["count"] != nil && $0.0["code"] == nil })
    }

    /// A budget that can shrink while a registry holds snapshots (what else it covers grew).
    final class Budget: @unchecked Sendable {
        private let lock = NSLock()
        private var bytes: Int
        init(_ bytes: Int) { self.bytes = bytes }
        var value: Int { get { lock.withLock { bytes } } set { lock.withLock { bytes = newValue } } }
    }

    @Test func aLayerBeyondTheMemoryBudgetIsTiledFromTheStore() throws {
        let (store, _) = try loaded()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let today = ISODate.string(Date())
        let whole = try SnapshotRegistry(store: store).ready(Self.layer, day: today)
        #expect(whole.bytes > 3000 * LayerSnapshot.perFeatureBytes)
        // Half the snapshot's size: the build stops, the layer is reported and not tried again
        // today, and its tiles (from the store) are the tiles a snapshot would have made.
        let bounded = TileBuilder(store: store, snapshotBudget: { whole.bytes / 2 })
        let registry = try #require(bounded.snapshots)
        #expect(registry.snapshot(for: Self.layer, day: today) == nil)
        for _ in 0..<200 where registry.layersOverBudget.isEmpty { Thread.sleep(forTimeInterval: 0.05) }
        #expect(registry.layersOverBudget == ["shops"] && !registry.holds("shops") && registry.heldBytes == 0)
        #expect(registry.snapshot(for: Self.layer, day: today) == nil)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(registry.builds == 0 && !registry.holds("shops"))
        let unbounded = TileBuilder(store: store)
        _ = try unbounded.snapshots?.ready(Self.layer, day: today)
        for coord in tiles(zoom: 14).prefix(12) {
            let a = try features(bounded.tile(views: [.full(Self.layer)], at: coord, during: .today()).bytes)
            let b = try features(unbounded.tile(views: [.full(Self.layer)], at: coord, during: .today()).bytes)
            #expect(a.mapValues(\.1) == b.mapValues(\.1) && a.keys == b.keys, "tile \(coord)")
        }
        // Room for it: held. Then the budget shrinks below it: the next check drops it.
        let budget = Budget(whole.bytes * 2)
        let roomy = SnapshotRegistry(store: store, budget: { budget.value })
        _ = roomy.snapshot(for: Self.layer, day: today)
        for _ in 0..<200 where !roomy.holds("shops") { Thread.sleep(forTimeInterval: 0.05) }
        #expect(roomy.holds("shops") && roomy.heldBytes == whole.bytes)
        roomy.enforceBudget()
        #expect(roomy.holds("shops"))
        budget.value = whole.bytes - 1
        roomy.enforceBudget()
        #expect(!roomy.holds("shops") && roomy.layersOverBudget == ["shops"] && roomy.heldBytes == 0)
        #expect(roomy.snapshot(for: Self.layer, day: today) == nil)
    }

    @Test func changesDropTheSnapshotsTheyCanAlter() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, _) = try loaded()
        let registry = SnapshotRegistry(store: store)
        let today = ISODate.string(Date())
        let tomorrow = ISODate.string(Date().addingTimeInterval(86_400))
        _ = try registry.ready(Self.layer, day: today)
        registry.invalidate(ChangeExtent(seq: 1, layer: "other", fromDay: nil, box: nil))
        registry.invalidate(ChangeExtent(seq: 2, layer: "shops", fromDay: tomorrow, box: nil))
        #expect(registry.holds("shops"))
        registry.invalidate(ChangeExtent(seq: 3, layer: "shops", fromDay: today, box: BBox(minX: 117.6, minY: 26.2, maxX: 117.61, maxY: 26.21)))
        #expect(!registry.holds("shops"))
        // Not ready: nil now, built in the background, then held.
        #expect(registry.snapshot(for: Self.layer, day: today) == nil)
        for _ in 0..<200 where !registry.holds("shops") { Thread.sleep(forTimeInterval: 0.05) }
        #expect(registry.snapshot(for: Self.layer, day: today)?.count == 3000)
        // A snapshot of another day is not handed out for today.
        #expect(registry.snapshot(for: Self.layer, day: tomorrow) == nil)
    }

    @Test func aFailedBuildIsRecordedAndRetriedAfterItsBackOffNotByEveryRequest() throws {
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let (store, _) = try loaded()
        let registry = SnapshotRegistry(store: store)
        let today = ISODate.string(Date())
        // A layer the store has no table for: its build fails.
        let ghost = LayerInfo(id: "ghost", title: "ghost", description: "no table", geometryType: .polygon, fields: Self.layer.fields,
                              ownerDepartment: "SMSCJG", shareClass: .unconditional)
        #expect(registry.snapshot(for: ghost, day: today) == nil)
        for _ in 0..<200 where registry.failures.total == 0 { Thread.sleep(forTimeInterval: 0.02) }
        let first = try #require(registry.failures.current["ghost"])
        #expect(registry.failures.total == 1 && first.attempts == 1 && !first.message.isEmpty)
        #expect(first.retryAt > Date())
        // Requests during the back-off do not start builds.
        for _ in 0..<5 { #expect(registry.snapshot(for: ghost, day: today) == nil) }
        Thread.sleep(forTimeInterval: 0.2)
        #expect(registry.failures.total == 1 && registry.status.building.isEmpty)
        // The service's tick after the back-off tries again; the next wait is longer.
        registry.retryDue(now: Date().addingTimeInterval(120))
        for _ in 0..<200 where registry.failures.total == 1 { Thread.sleep(forTimeInterval: 0.02) }
        let second = try #require(registry.failures.current["ghost"])
        #expect(registry.failures.total == 2 && second.attempts == 2)
        #expect(second.retryAt.timeIntervalSinceNow > first.retryAt.timeIntervalSinceNow)
        // A stopped registry starts no more builds.
        registry.stop()
        #expect(registry.snapshot(for: Self.layer, day: today) == nil)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(!registry.holds("shops") && registry.status.building.isEmpty)
    }
}

/// Deterministic random numbers for fixtures.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
