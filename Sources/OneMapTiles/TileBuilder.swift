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
    public init() {}
}

/// Makes vector tiles from a `FeatureStore`: store -> project -> clip -> simplify -> quantise -> encode.
/// Blocking; callers run it off the event loop.
public final class TileBuilder: Sendable {
    public let store: any FeatureStore
    public let settings: TileSettings
    private let engines = EnginePool()

    public init(store: any FeatureStore, settings: TileSettings = TileSettings()) {
        self.store = store; self.settings = settings
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
        return try engines.with { engine in
            var encoders: [MVTLayerEncoder] = []
            for view in views where zoom >= view.layer.minZoom && zoom <= TileCoord.maxZoom {
                let geometry = TileGeometryBuilder(tms: tms, level: level, row: row, column: column, extent: settings.extent,
                                                   buffer: settings.buffer, tolerance: zoom >= view.layer.maxZoom ? 0.5 : 2)
                encoders.append(try encode(view, geometry: geometry, zoom: zoom, during: time, engine: engine))
            }
            return BuiltTile(bytes: MVTEncoder.tile(encoders), features: encoders.reduce(0) { $0 + $1.featureCount })
        }
    }

    /// Coarser simplification (tolerance 2) below the layer's last detailed zoom; overzoomed tiles keep all detail.
    private func encode(_ view: LayerView, geometry: TileGeometryBuilder, zoom: Int, during time: TimeFilter, engine: GeometryEngine) throws -> MVTLayerEncoder {
        let layer = view.layer
        var encoder = MVTLayerEncoder(name: layer.id, extent: UInt32(settings.extent))
        let rule = TileRules.rule(for: layer.id)
        let shown = view.visible.filter { rule.keep(layer.fields[$0].name) }
        let query = FeatureQuery(layer: layer.id, bbox: geometry.queryBounds, time: time, filter: view.restriction)
        try store.queryFeatures(query) { f in
            guard encoder.featureCount < settings.featureLimit, rule.include(f, zoom) else { return }
            guard let g = try geometry.build(f.geometry, engine: engine) else { return }
            var props: [(String, FieldValue)] = []
            props.reserveCapacity(shown.count)
            for i in shown { props.append((layer.fields[i].name, view.shown(i, f.values[i]))) }
            encoder.add(id: UInt64(f.id), geometry: g, properties: props)
        }
        return encoder
    }
}

/// An encoded tile and how many features it holds.
public struct BuiltTile: Sendable {
    public let bytes: [UInt8]
    public let features: Int
}

/// Per-layer choices of what goes into a tile at a zoom.
struct TileRules {
    var include: @Sendable (StoredFeature, Int) -> Bool = { _, _ in true }
    var keep: @Sendable (String) -> Bool = { _ in true }

    static func rule(for layer: String) -> TileRules {
        switch layer {
        case "admin_areas", "admin_labels":
            // Townships from z8, villages from z11, grids from z13: finer units would be specks below.
            return TileRules(include: { f, z in
                guard case .string(let level) = f.values[2] else { return true }
                switch level {
                case "township": return z >= 8
                case "village": return z >= 11
                case "grid": return z >= 13
                default: return true
                }
            })
        default:
            return TileRules()
        }
    }
}
