import Foundation
import OneMapGeo
import OneMapStore

/// A failure to make a tile that is the caller's fault (unknown layer, bad address).
public enum TileRequestError: Error, CustomStringConvertible, Equatable {
    case unknownLayer(String, known: [String])
    case notSpatial(String)

    public var description: String {
        switch self {
        case .unknownLayer(let l, let known): "unknown layer '\(l)'; tile layers: \(known.joined(separator: ", "))"
        case .notSpatial(let l): "layer '\(l)' has no geometry and cannot be tiled"
        }
    }
}

/// Settings of the MVT output.
public struct TileSettings: Sendable {
    public var extent = 4096
    /// Buffer in tile units around the tile, so strokes and labels continue across tile edges.
    public var buffer = 64
    /// Most features one layer may carry in one tile.
    public var featureLimit = 20_000
    /// A layer whose detail would take more bytes than this in one tile is served as aggregates
    /// (when it can be aggregated), so that no tile reaches 500 KB.
    public var layerByteBudget = 400_000
    public init() {}
}

/// Makes vector tiles: features -> project -> clip -> simplify -> quantise -> encode, from today's
/// in-memory snapshot of a layer when one is ready (`SnapshotRegistry`), else from the store.
/// Below a dense layer's `minZoom` its features become aggregate cells (`TileAggregator`).
/// Blocking; callers run it off the event loop.
public final class TileBuilder: Sendable {
    public let store: any FeatureStore
    public let settings: TileSettings
    /// nil: every tile from the store.
    public let snapshots: SnapshotRegistry?
    private let engines = EnginePool()

    /// `snapshotBudget`: the bytes the layer snapshots may hold together (see `SnapshotRegistry`).
    public init(store: any FeatureStore, settings: TileSettings = TileSettings(), snapshots: Bool = true,
                snapshotBudget: (@Sendable () -> Int)? = nil) {
        self.store = store; self.settings = settings
        self.snapshots = snapshots ? SnapshotRegistry(store: store, budget: snapshotBudget) : nil
    }

    /// Starts building snapshots of every tile layer in the background.
    public func prepare() {
        if let snapshots, let layers = try? tileLayers() { snapshots.prepare(layers) }
    }

    /// Whether this tile would be made from in-memory snapshots alone (no store read): then it is
    /// pure computation and may run where the request is.
    public func buildsInMemory(views: [LayerView], tms: TileMatrixSet, level: Int, during time: TimeFilter) -> Bool {
        guard let snapshots, tms == .webMercatorQuad, time.isInstant else { return false }
        let today = ISODate.string(Date())
        guard time.start == today else { return false }
        return views.allSatisfy { view in
            guard level >= view.layer.firstTileZoom else { return true }
            return view.area == nil && snapshots.snapshot(for: view.layer, day: today) != nil
        }
    }

    /// The spatial layers that can be tiled.
    public func tileLayers() throws -> [LayerInfo] { try store.layers().filter(\.isSpatial) }

    /// Resolves layer ids (in request order, duplicates removed), failing on an unknown one.
    public func resolve(_ ids: [String]) throws -> [LayerInfo] {
        let all = try tileLayers()
        var out: [LayerInfo] = []
        for id in ids where !out.contains(where: { $0.id == id }) {
            guard let l = all.first(where: { $0.id == id }) else {
                if try store.layer(id: id) != nil { throw TileRequestError.notSpatial(id) }
                throw TileRequestError.unknownLayer(id, known: all.map(\.id))
            }
            out.append(l)
        }
        return out
    }

    /// The encoded tile (empty when no layer has a feature there) of what was valid during `time`,
    /// each layer as the caller's view shows it (fields, masking, area).
    public func tile(views: [LayerView], at coord: TileCoord, during time: TimeFilter) throws -> BuiltTile {
        try tile(views: views, tms: .webMercatorQuad, level: coord.z, row: coord.y, column: coord.x, during: time)
    }

    /// A tile of any tile matrix set (the address already checked with `TileMatrixSet.check`).
    /// Layers' zoom ranges and rules apply at the Web Mercator zoom of equal detail.
    public func tile(views: [LayerView], tms: TileMatrixSet, level: Int, row: Int, column: Int, during time: TimeFilter) throws -> BuiltTile {
        let zoom = level + tms.zoomOffset
        let today = ISODate.string(Date())
        return try engines.with { engine in
            var encoders: [MVTLayerEncoder] = []
            for view in views where zoom <= TileCoord.maxZoom {
                let rule = TileRules.rule(for: view.layer)
                let aggregates = zoom < view.layer.minZoom
                guard !aggregates || rule.aggregatable else { continue }
                // Snapshots hold today's features, whole, in Web Mercator: other days, grids and
                // area-limited views read the store.
                let snapshot = tms == .webMercatorQuad && view.area == nil && time.isInstant && time.start == today
                    ? snapshots?.snapshot(for: view.layer, day: today) : nil
                let geometry = TileGeometryBuilder(tms: tms, level: level, row: row, column: column, extent: settings.extent,
                                                   buffer: settings.buffer, tolerance: zoom >= view.layer.maxZoom ? 0.5 : 2,
                                                   projectedInput: snapshot != nil)
                var encoder: MVTLayerEncoder
                if aggregates {
                    encoder = try aggregate(view, snapshot: snapshot, geometry: geometry, zoom: zoom, level: level, row: row, column: column, during: time)
                } else {
                    encoder = try snapshot.map { try encode(view, from: $0, geometry: geometry, zoom: zoom, rule: rule, engine: engine) }
                        ?? encode(view, geometry: geometry, zoom: zoom, during: time, rule: rule, engine: engine)
                    if rule.aggregatable, tms == .webMercatorQuad, encoder.featureBytes > settings.layerByteBudget {
                        encoder = try aggregate(view, snapshot: snapshot, geometry: geometry, zoom: zoom, level: level, row: row, column: column, during: time)
                    }
                }
                encoders.append(encoder)
            }
            return BuiltTile(bytes: MVTEncoder.tile(encoders), features: encoders.reduce(0) { $0 + $1.featureCount })
        }
    }

    /// Coarser simplification (tolerance 2) below the layer's last detailed zoom; overzoomed tiles keep all detail.
    private func encode(_ view: LayerView, geometry: TileGeometryBuilder, zoom: Int, during time: TimeFilter, rule: TileRules,
                        engine: GeometryEngine) throws -> MVTLayerEncoder {
        let layer = view.layer
        var encoder = MVTLayerEncoder(name: layer.id, extent: UInt32(settings.extent))
        let shown = view.visible.filter { rule.keep(layer.fields[$0].name) }
        for i in shown { _ = encoder.keyIndex(layer.fields[i].name) }  // keys in field order, as from a snapshot
        let query = FeatureQuery(layer: layer.id, bbox: geometry.queryBounds, time: time, filter: view.restriction)
        try store.queryFeatures(query) { f in
            guard encoder.featureCount < settings.featureLimit, rule.include(f.values, zoom) else { return }
            guard let g = try geometry.build(f.geometry, engine: engine) else { return }
            var props: [(String, FieldValue)] = []
            props.reserveCapacity(shown.count)
            for i in shown { props.append((layer.fields[i].name, view.shown(i, f.values[i]))) }
            encoder.add(id: UInt64(f.id), geometry: g, properties: props)
        }
        return encoder
    }

    /// The same tile layer from a snapshot: no SQLite, no projection, values by their interned codes.
    private func encode(_ view: LayerView, from snapshot: LayerSnapshot, geometry: TileGeometryBuilder, zoom: Int, rule: TileRules,
                        engine: GeometryEngine) throws -> MVTLayerEncoder {
        let layer = view.layer
        var encoder = MVTLayerEncoder(name: layer.id, extent: UInt32(settings.extent))
        let shown = view.visible.filter { rule.keep(layer.fields[$0].name) }
        let keys = shown.map { encoder.keyIndex(layer.fields[$0].name) }
        let masked = shown.map { view.masked.contains($0) }
        var tags: [UInt32] = []
        // In id order, as the store returns rows: the same tile bytes either way.
        var matches: [Int] = []
        snapshot.forEach(intersecting: geometry.bufferedBounds) { matches.append($0) }
        matches.sort { snapshot.ids[$0] < snapshot.ids[$1] }
        for i in matches {
            guard encoder.featureCount < settings.featureLimit else { break }
            if rule.filtersFeatures, !rule.include(layer.fields.indices.map { snapshot.value(i, $0) }, zoom) { continue }
            guard let g = try geometry.build(snapshot.geometries[i], engine: engine) else { continue }
            tags.removeAll(keepingCapacity: true)
            for (k, f) in shown.enumerated() {
                let code = snapshot.code(i, f)
                let value = snapshot.distinct[f][Int(code)]
                if value == .null { continue }
                tags.append(keys[k])
                // Masked values are shared by what they show (two phones may mask alike), as from the store.
                tags.append(masked[k] ? encoder.valueIndex(FieldMask.masked(value), key: keys[k])
                                      : encoder.valueIndex(code: code, key: keys[k]) { value })
            }
            encoder.add(id: UInt64(snapshot.ids[i]), geometry: g, tags: tags)
        }
        return encoder
    }

    /// The aggregate cells of a layer in this tile (`TileAggregator`).
    private func aggregate(_ view: LayerView, snapshot: LayerSnapshot?, geometry: TileGeometryBuilder, zoom: Int, level: Int,
                           row: Int, column: Int, during time: TimeFilter) throws -> MVTLayerEncoder {
        var encoder = MVTLayerEncoder(name: view.layer.id, extent: UInt32(settings.extent))
        // Cells are laid on Web Mercator tiles; other grids get none.
        guard geometry.tms == .webMercatorQuad else { return encoder }
        var cells = TileAggregator(zoom: zoom, column: column, row: row, view: view)
        if let snapshot {
            snapshot.forEach(intersecting: geometry.bounds) { i in cells.add(anchor: snapshot.anchors[i]) { snapshot.value(i, $0) } }
        } else {
            let query = FeatureQuery(layer: view.layer.id, bbox: geometry.tms.unprojectBox(geometry.bounds), time: time, filter: view.restriction)
            try store.queryFeatures(query) { f in
                guard let b = f.geometry.bbox else { return }
                let lo = WebMercatorQuad.project(lon: b.minX, lat: b.minY), hi = WebMercatorQuad.project(lon: b.maxX, lat: b.maxY)
                cells.add(anchor: Position((lo.x + hi.x) / 2, (lo.y + hi.y) / 2)) { f.values[$0] }
            }
        }
        cells.encode(into: &encoder, extent: settings.extent)
        return encoder
    }
}

/// An encoded tile and how many features it holds.
public struct BuiltTile: Sendable {
    public let bytes: [UInt8]
    public let features: Int
}

extension LayerInfo {
    /// The first zoom whose tiles carry the layer: 0 for layers aggregated below their `minZoom`.
    public var firstTileZoom: Int { TileRules.rule(for: self).aggregatable ? 0 : minZoom }
    /// Whether tiles below `minZoom` carry the layer as grid cells.
    public var aggregatedBelowMinZoom: Bool { TileRules.rule(for: self).aggregatable && minZoom > 0 }
}

/// Per-layer choices of what goes into a tile at a zoom.
struct TileRules {
    var include: @Sendable ([FieldValue], Int) -> Bool = { _, _ in true }
    /// Whether `include` can refuse a feature (else it is not asked).
    var filtersFeatures = false
    var keep: @Sendable (String) -> Bool = { _ in true }
    /// Dense layers of points or areas (buildings, shops) become aggregate cells below their
    /// `minZoom`; administrative areas never do (they are the frame of every map).
    var aggregatable = false

    static func rule(for layer: LayerInfo) -> TileRules {
        switch layer.id {
        case "admin_areas", "admin_labels":
            // Townships from z8, villages from z11, grids from z13: finer units would be specks below.
            return TileRules(include: { values, z in
                guard case .string(let level) = values[2] else { return true }
                switch level {
                case "township": return z >= 8
                case "village": return z >= 11
                case "grid": return z >= 13
                default: return true
                }
            }, filtersFeatures: true)
        default:
            switch layer.geometryType {
            case .point, .multiPoint, .polygon, .multiPolygon, .geometry: return TileRules(aggregatable: true)
            default: return TileRules()
            }
        }
    }
}
