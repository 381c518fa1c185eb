import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OneMapGeo
import OneMapQuery
import OneMapReports
import OneMapStore

/// `GET /render?bbox=&width=&height=&layers=&datetime=&crs=`: a PNG map drawn on the server from
/// the same data (as the caller may see it) and the same style as the viewer.
struct MapRoutes: Sendable {
    let store: any FeatureStore
    let governance: Governance
    let stylesDirectory: String
    let lane: HeavyLane
    /// Answers `coverage.*` questions drawn on the map.
    let coverage: CoverageRoutes

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/render") { request, context in try await self.render(request, context) }
    }

    /// The caller's views of the layers maps draw; a layer the caller may not read is left out.
    static func mapViews(store: any FeatureStore, governance: Governance, caller: Caller) throws -> [String: LayerView] {
        var views: [String: LayerView] = [:]
        for id in MapScene.sourceLayers {
            guard let layer = try store.layer(id: id), try governance.policy.canRead(layer, caller.principal) else { continue }
            views[id] = try governance.viewIfAllowed(of: layer, for: Caller(principal: caller.principal, grantID: nil))?.view
        }
        return views
    }

    func render(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        var parsed: MapRequest
        do { parsed = try MapRequest.parse(QueryItems.of(request).map { (String($0.0), String($0.1)) }) } catch { throw APIError.badRequest(error.description) }
        let caller = context.caller
        // Residents beyond reach of a coverage question, with its facilities drawn on top.
        var uncovered: [(box: BBox, people: Int)] = [], uncoveredTitle = ""
        var coverageGrants: [ShareApplication] = []
        if !parsed.coverage.isEmpty {
            let question: CoverageRequest
            do { question = try CoverageRequest.parse(parameters: parsed.coverage + [("datetime", parsed.day)]) } catch {
                throw APIError.badRequest("coverage: \(error.description)")
            }
            let e = try await coverage.evaluate(question, context)
            uncovered = e.result.uncoveredCells.map { ($0.bbox, $0.people) }
            uncoveredTitle = "\(CoverageRequest.number(question.radiusMetres)) m 外人口 beyond reach"
            coverageGrants = e.grants
            if !parsed.collections.contains(question.layer) { parsed.collections.append(question.layer) }
        }
        let request_ = parsed, cells = uncovered, cellsTitle = uncoveredTitle
        let (store, governance, styles) = (self.store, self.governance, stylesDirectory)
        // The world file needs no drawing: the box and size say where every pixel is.
        if parsed.format == .pgw {
            return Self.placed(Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                                        body: .init(byteBuffer: ByteBuffer(string: GeoRaster.worldFile(parsed)))), parsed)
        }
        let (png, drawn) = try await lane.run("a map") { () throws -> (Data, Int) in
            var views = try Self.mapViews(store: store, governance: governance, caller: caller)
            // Departments' collections: they must exist and be readable, as for their tiles.
            for id in request_.collections {
                guard let layer = try store.layer(id: id), layer.isSpatial, !MapScene.sourceLayers.contains(id) else {
                    throw APIError.badRequest("layers: no map layer '\(id)'; map layers: \(MapLayer.allCases.map(\.rawValue).joined(separator: ", ")) and the collections you may read (see /collections)")
                }
                views[id] = try governance.views(of: [layer], for: caller).views[0]
            }
            var scene: MapScene
            do { scene = try MapScene.load(request_, store: store, views: views) } catch let e as StoreError { throw APIError.from(e) }
            if !cellsTitle.isEmpty { try scene.addUncovered(cells, title: cellsTitle) }
            let style = MapStyle.load(stylesDirectory: styles)
            let bytes = request_.format == .tiff ? try MapRenderer.geoTIFF(scene, style: style) : try MapRenderer.png(scene, style: style)
            return (bytes, scene.featureCount)
        }
        governance.audit(request, context, route: "/render", layer: (MapScene.sourceLayers + parsed.collections + (uncoveredTitle.isEmpty ? [] : ["population"])).joined(separator: ","), grants: coverageGrants,
                         area: Governance.box(try parsed.queryBox()), datetime: parsed.day, rows: drawn)
        if parsed.format == .tiff {
            return Self.placed(ExportResponse.make(png, mediaType: "image/tiff; application=geotiff", filename: "onemap-\(parsed.day).tif"), parsed)
        }
        return Self.placed(ExportResponse.make(png, mediaType: "image/png", filename: "onemap-\(parsed.day).png", inline: true), parsed)
    }

    /// Says where the picture is (OGC API – Maps' headers): the box actually drawn — the asked
    /// one grown to the image's shape — in the map's CRS.
    static func placed(_ response: Response, _ request: MapRequest) -> Response {
        var r = response
        let e = request.extent
        r.headers[contentCrs] = "<http://www.opengis.net/def/crs/EPSG/0/\(request.crs.epsg)>"
        r.headers[contentBbox] = [e.minX, e.minY, e.maxX, e.maxY].map { String(format: "%.6f", $0) }.joined(separator: ",")
        return r
    }

    static let contentCrs = HTTPField.Name("Content-Crs")!
    static let contentBbox = HTTPField.Name("Content-Bbox")!
}
