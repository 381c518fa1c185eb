import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OneMapGeo
import OneMapStore
import OneMapTiles

/// OGC API – Tiles (vector tiles of each collection) over three tile matrix sets: WebMercatorQuad,
/// WorldCRS84Quad and CGCS2000Quad (天地图's CGCS2000 'c' layout), with their TMS 2.0 definitions.
struct TilesAPIRoutes: Sendable {
    let tiles: TileService
    let governance: Governance
    var builder: TileBuilder { tiles.builder }
    let fallbackBaseURL: String

    static let conformance = [
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
        "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/datetime",
        "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    ]

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/tileMatrixSets") { request, _ in
            try FeatureRoutes.checkOnly(request, allowed: ["f"])
            let base = BaseURL.of(request, fallback: fallbackBaseURL)
            let doc: [String: Any] = ["tileMatrixSets": TileMatrixSet.all.map { t -> [String: Any] in
                ["id": t.id, "title": t.title, "crs": t.crs, "uri": Self.uri(t),
                 "links": [["rel": "self", "type": "application/json", "href": "\(base)/tileMatrixSets/\(t.id)"]]]
            }]
            if FeatureRoutes.wantsHTML(request) {
                let rows = TileMatrixSet.all.map { t in
                    "<tr><td><a href=\"\(HTMLPage.escape("\(base)/tileMatrixSets/\(t.id)?f=html"))\">\(HTMLPage.escape(t.id))</a></td><td>\(HTMLPage.escape(t.title))</td><td>\(HTMLPage.escape(t.crs))</td></tr>"
                }
                return HTMLPage.response(title: "Tile matrix sets", body: "<table><tr><th>id</th><th>title</th><th>crs</th></tr>\(rows.joined())</table>")
            }
            return JSONResponse.make(doc)
        }
        router.get("/tileMatrixSets/:id") { request, context in
            try FeatureRoutes.checkOnly(request, allowed: ["f"])
            let tms = try Self.tms(context.parameters.get("id"))
            let doc = tms.definition(uri: Self.uri(tms))
            if FeatureRoutes.wantsHTML(request) { return HTMLPage.response(title: tms.title, body: HTMLPage.document(doc)) }
            return JSONResponse.make(doc)
        }
        router.get("/collections/:id/tiles") { request, context in try await self.tilesets(request, context) }
        router.get("/collections/:id/tiles/:tms") { request, context in try await self.tileset(request, context) }
        router.get("/collections/:id/tiles/:tms/:level/:row/:column") { request, context in try await self.tile(request, context) }
    }

    /// The OGC registry URI of the standard sets; OneMap's own for CGCS2000Quad.
    static func uri(_ t: TileMatrixSet) -> String {
        t.id == "CGCS2000Quad" ? "https://onemap.sanming.example/def/tilematrixset/CGCS2000Quad" : "http://www.opengis.net/def/tilematrixset/OGC/1.0/\(t.id)"
    }

    static func tms(_ id: String?) throws -> TileMatrixSet {
        guard let id, let t = TileMatrixSet.named(id) else {
            throw APIError.notFound("no tile matrix set '\(id ?? "")'; offered: \(TileMatrixSet.all.map(\.id).joined(separator: ", "))")
        }
        return t
    }

    /// The collection as the caller may see it (401/403 when not at all).
    private func access(_ context: OneMapRequestContext) async throws -> (view: LayerView, grants: [ShareApplication]) {
        let id = context.parameters.get("id") ?? ""
        let caller = context.caller
        let found = try await blocking { () throws -> (LayerView, [ShareApplication])? in
            guard let layer = try builder.tileLayers().first(where: { $0.id == id }) else { return nil }
            let (v, g) = try governance.views(of: [layer], for: caller)
            return (v[0], g)
        }
        guard let found else { throw APIError.notFound("no feature collection '\(id)'; see /collections") }
        return found
    }

    /// The layer with only the fields the caller sees (for metadata).
    private func layer(_ context: OneMapRequestContext) async throws -> LayerInfo {
        let view = try await access(context).view
        return view.layer.with(fields: view.fields)
    }

    func tilesets(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: ["f"])
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let layer = try await self.layer(context)
        let doc: [String: Any] = ["tilesets": TileMatrixSet.all.map { t in summary(layer, t, base: base) },
                                  "links": [["rel": "self", "type": "application/json", "href": "\(base)/collections/\(layer.id)/tiles"]]]
        if FeatureRoutes.wantsHTML(request) {
            let rows = TileMatrixSet.all.map { t in
                "<tr><td><a href=\"\(HTMLPage.escape("\(base)/collections/\(layer.id)/tiles/\(t.id)?f=html"))\">\(HTMLPage.escape(t.id))</a></td><td>\(HTMLPage.escape(t.crs))</td></tr>"
            }
            return HTMLPage.response(title: "\(layer.title): tilesets", body: "<table><tr><th>tile matrix set</th><th>crs</th></tr>\(rows.joined())</table>")
        }
        return JSONResponse.make(doc)
    }

    private func summary(_ layer: LayerInfo, _ t: TileMatrixSet, base: String) -> [String: Any] {
        let href = "\(base)/collections/\(layer.id)/tiles/\(t.id)"
        return ["title": "\(layer.title) (\(t.id))", "dataType": "vector", "crs": t.crs, "tileMatrixSetURI": Self.uri(t),
                "links": [["rel": "self", "type": "application/json", "href": href],
                          ["rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme", "type": "application/json",
                           "href": "\(base)/tileMatrixSets/\(t.id)"]]]
    }

    func tileset(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: ["f"])
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let layer = try await self.layer(context)
        let t = try Self.tms(context.parameters.get("tms"))
        var doc = summary(layer, t, base: base)
        var links = doc["links"] as? [[String: Any]] ?? []
        links.append(["rel": "item", "type": TileRoutes.mvtType, "templated": true,
                      "href": "\(base)/collections/\(layer.id)/tiles/\(t.id)/{tileMatrix}/{tileRow}/{tileCol}"])
        doc["links"] = links
        // Levels where the layer has tiles (its zoom range at equal detail).
        let first = max(t.firstLevel, layer.firstTileZoom - t.zoomOffset), last = t.lastLevel
        doc["tileMatrixSetLimits"] = (first...last).map { ["tileMatrix": String($0), "minTileRow": 0, "maxTileRow": t.rows($0) - 1,
                                                            "minTileCol": 0, "maxTileCol": t.columns($0) - 1] }
        doc["layers"] = [["id": layer.id, "dataType": "vector", "geometryDimension": Self.dimension(layer.geometryType),
                          "minTileMatrix": String(first), "maxTileMatrix": String(last),
                          "propertiesSchema": ["type": "object", "properties": Self.propertiesSchema(layer)]]]
        if FeatureRoutes.wantsHTML(request) { return HTMLPage.response(title: "\(layer.title) (\(t.id))", body: HTMLPage.document(doc)) }
        return JSONResponse.make(doc)
    }

    /// The properties tile features carry; below its detail zoom an aggregated layer's tiles hold
    /// grid cells, whose `count` and `area_km2` are declared too. Any value may be null.
    static func propertiesSchema(_ layer: LayerInfo) -> [String: Any] {
        var properties: [String: Any] = Dictionary(uniqueKeysWithValues: layer.fields.map {
            ($0.name, ["type": [$0.type == .integer ? "integer" : $0.type == .number ? "number" : $0.type == .boolean ? "boolean" : "string", "null"],
                       "description": $0.description] as [String: Any])
        })
        if layer.aggregatedBelowMinZoom {
            if properties["count"] == nil {
                properties["count"] = ["type": "integer", "minimum": 0, "description": "Grid cells (below zoom \(layer.minZoom)): the features in the cell"]
            }
            properties["area_km2"] = ["type": "number", "minimum": 0, "description": "Grid cells (below zoom \(layer.minZoom)): the cell's area in km²"]
            properties["density"] = ["type": "number", "minimum": 0, "description": "Grid cells (below zoom \(layer.minZoom)): features per km²"]
        }
        return properties
    }

    static func dimension(_ t: LayerGeometryType) -> Int {
        switch t {
        case .point, .multiPoint: 0
        case .lineString, .multiLineString: 1
        default: 2
        }
    }

    func tile(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let (view, grants) = try await access(context)
        let t = try Self.tms(context.parameters.get("tms"))
        func int(_ name: String) throws -> Int {
            let s = context.parameters.get(name) ?? ""
            guard s.count <= 10, let v = Int(s) else { throw APIError.badRequest("\(name) '\(s)' is not an integer") }
            return v
        }
        let level = try int("level"), row = try int("row"), column = try int("column")
        // OGC API - Tiles (/req/core/tc-error): a tile outside the matrix set is not found.
        do { try t.check(level: level, row: row, column: column) } catch { throw APIError.notFound("no such tile: \(error.description)") }
        let datetime = try TileRoutes.datetime(request)
        let time = datetime?.filter ?? .today()
        let (tile, hit) = try await blocking { try tiles.tile(views: [view], tms: t, level: level, row: row, column: column, time: time) }
        governance.audit(request, context, route: "/collections/{id}/tiles/{tms}/{level}/{row}/{column}", layer: view.layer.id,
                         grants: grants, area: "tile \(t.id) \(level)/\(row)/\(column)", datetime: datetime?.text, rows: tile.features,
                         outcome: tile.bytes.isEmpty ? "204" : "200")
        return TileService.response(tile, hit: hit, request: request, keyed: context.caller.principal != .anonymous)
    }
}
