import Foundation
import HTTPTypes
import Hummingbird
import OneMapGeo
import OneMapQuery
import OneMapStore

/// `/identify?lon=&lat=`: the administrative areas containing a point (city down to grid) and the
/// building standing there, as of a day. `/collections/{id}/nearest?lon=&lat=&k=`: the k features
/// of a layer nearest to a point, with their distances in metres.
struct PointRoutes: Sendable {
    let store: any FeatureStore
    let governance: Governance
    let fallbackBaseURL: String

    static let levels = ["city", "county", "township", "village", "grid"]

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/identify") { request, context in try await self.identify(request, context) }
        router.get("/collections/:id/nearest") { request, context in try await self.nearest(request, context) }
    }

    static func parse(_ request: Request, extra: Set<String> = []) throws -> PointRequest {
        do { return try PointRequest.parse(QueryItems.of(request), extra: extra) } catch {
            throw APIError.badRequest(error.description)
        }
    }

    func identify(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let q = try Self.parse(request)
        let caller = context.caller
        let (areas, building, grants) = try await blocking { () throws -> ([String], String?, [ShareApplication]) in
            // Areas and buildings whose box holds the point, then the exact test (holes excluded).
            let box = BBox(minX: q.point.x, minY: q.point.y, maxX: q.point.x, maxY: q.point.y)
            var areas: [(Int, String)] = []
            let areaLayer = try store.layer(id: "admin_areas")!
            let (areaViews, areaGrants) = try governance.views(of: [areaLayer], for: Caller(principal: caller.principal, grantID: nil))
            try store.queryFeatures(FeatureQuery(layer: "admin_areas", bbox: box, time: .instant(q.day), filter: areaViews[0].restriction)) { f in
                guard f.geometry.polygons.contains(where: { PointInPolygon.contains($0, q.point) }) else { return }
                var out = ""
                FeatureGeoJSON.properties(f, view: areaViews[0], into: &out)
                let level = areaLayer.fields.firstIndex { $0.name == "level" }.flatMap { i -> String? in
                    if case .string(let l) = f.values[i] { l } else { nil }
                } ?? ""
                areas.append((Self.levels.firstIndex(of: level) ?? 9, out))
            }
            var building: String?
            var grants = areaGrants
            // The building only for callers who may read buildings (the areas are open).
            if let layer = try store.layer(id: "buildings"), let (views, g) = try governance.viewsIfAllowed(of: [layer], for: Caller(principal: caller.principal, grantID: nil)) {
                grants += g
                let writer = FeatureGeoJSON(view: views[0], crs: q.crs)
                try store.queryFeatures(FeatureQuery(layer: "buildings", bbox: box, time: .instant(q.day), filter: views[0].restriction)) { f in
                    guard building == nil, f.geometry.polygons.contains(where: { PointInPolygon.contains($0, q.point) }) else { return }
                    var out = ""
                    try writer.write(f, into: &out)
                    building = out
                }
            }
            return (areas.sorted { $0.0 < $1.0 }.map(\.1), building, grants)
        }
        governance.audit(request, context, route: "/identify", layer: "admin_areas,buildings", grants: grants,
                         area: String(format: "point %.6f,%.6f", q.point.x, q.point.y), datetime: q.day, rows: areas.count + (building == nil ? 0 : 1))
        var out = "{\"datetime\":\"\(q.day)\",\"point\":[\(q.point.x),\(q.point.y)],\"areas\":[" + areas.joined(separator: ",") + "],\"building\":"
        out += building ?? "null"
        out += "}"
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: out)))
    }

    func nearest(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let id = context.parameters.get("id") ?? ""
        let q = try Self.parse(request, extra: ["k"])
        let caller = context.caller
        let result = try await blocking { () throws -> (String, Int, [ShareApplication])? in
            guard let layer = try store.layer(id: id), layer.isSpatial else { return nil }
            let (views, grants) = try governance.views(of: [layer], for: caller)
            let view = views[0]
            // Widening boxes until k features lie within the box's inscribed radius (so nothing
            // outside the box can be nearer), or the box covers the layer.
            let extent = try store.extent(layer: id)
            let m = PointInPolygon.metresPerDegree(atLatitude: q.point.y)
            var radius = 250.0
            var found: [(Double, StoredFeature)] = []
            while true {
                let box = BBox(minX: q.point.x - radius / m.x, minY: q.point.y - radius / m.y, maxX: q.point.x + radius / m.x, maxY: q.point.y + radius / m.y)
                found = []
                try store.queryFeatures(FeatureQuery(layer: id, bbox: box, time: .instant(q.day), filter: view.restriction)) { f in
                    found.append((PointInPolygon.distanceMetres(q.point, f.geometry), f))
                }
                found.sort { $0.0 < $1.0 }
                let covers = extent.map { box.contains($0) } ?? true
                if covers || (found.count >= q.k && found[q.k - 1].0 <= radius) { break }
                radius *= found.count >= q.k ? 2 : 4
            }
            let writer = FeatureGeoJSON(view: view, crs: q.crs)
            var out = "{\"type\":\"FeatureCollection\",\"features\":["
            for (n, (d, f)) in found.prefix(q.k).enumerated() {
                if n > 0 { out += "," }
                var one = ""
                try writer.write(f, into: &one)
                one.removeLast()
                out += one + ",\"distance\":\((d * 10).rounded() / 10)}"
            }
            out += "],\"numberReturned\":\(min(q.k, found.count)),\"point\":[\(q.point.x),\(q.point.y)],\"datetime\":\"\(q.day)\"}"
            return (out, min(q.k, found.count), grants)
        }
        guard let (body, returned, grants) = result else { throw APIError.notFound("no feature collection '\(id)'; see /collections") }
        governance.audit(request, context, route: "/collections/{id}/nearest", layer: id, grants: grants,
                         area: String(format: "point %.6f,%.6f", q.point.x, q.point.y), datetime: q.day, rows: returned)
        return FeatureRoutes.geoJSONResponse(body, crs: q.crs)
    }
}
