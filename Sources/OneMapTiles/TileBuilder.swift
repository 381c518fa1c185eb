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

    /// The encoded tile (empty when no layer has a feature there) of what was valid during `time`.
    public func tile(layers: [LayerInfo], at coord: TileCoord, during time: TimeFilter) throws -> [UInt8] {
        try tile(layers: layers, tms: .webMercatorQuad, level: coord.z, row: coord.y, column: coord.x, during: time)
    }

    /// A tile of any tile matrix set (the address already checked with `TileMatrixSet.check`).
    /// Layers' zoom ranges and rules apply at the Web Mercator zoom of equal detail.
    public func tile(layers: [LayerInfo], tms: TileMatrixSet, level: Int, row: Int, column: Int, during time: TimeFilter) throws -> [UInt8] {
        let zoom = level + tms.zoomOffset
        return try engines.with { engine in
            var encoders: [MVTLayerEncoder] = []
            for layer in layers where zoom >= layer.minZoom && zoom <= TileCoord.maxZoom {
                let geometry = TileGeometryBuilder(tms: tms, level: level, row: row, column: column, extent: settings.extent,
                                                   buffer: settings.buffer, tolerance: zoom >= layer.maxZoom ? 0.5 : 2)
                encoders.append(try encode(layer, geometry: geometry, zoom: zoom, during: time, engine: engine))
            }
            return MVTEncoder.tile(encoders)
        }
    }

    /// Coarser simplification (tolerance 2) below the layer's last detailed zoom; overzoomed tiles keep all detail.
    private func encode(_ layer: LayerInfo, geometry: TileGeometryBuilder, zoom: Int, during time: TimeFilter, engine: GeometryEngine) throws -> MVTLayerEncoder {
        var encoder = MVTLayerEncoder(name: layer.id, extent: UInt32(settings.extent))
        let rule = TileRules.rule(for: layer.id)
        let names = layer.fields.map(\.name)
        try store.features(layer: layer.id, intersecting: geometry.queryBounds, during: time, limit: nil) { f in
            guard encoder.featureCount < settings.featureLimit, rule.include(f, zoom) else { return }
            guard let g = try geometry.build(f.geometry, engine: engine) else { return }
            var props: [(String, FieldValue)] = []
            props.reserveCapacity(names.count)
            for (i, n) in names.enumerated() where rule.keep(n) { props.append((n, f.values[i])) }
            encoder.add(id: UInt64(f.id), geometry: g, properties: props)
        }
        return encoder
    }
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
