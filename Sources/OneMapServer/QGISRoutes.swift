import Foundation
import Hummingbird
import NIOCore
import OneMapGeo
import OneMapReports
import OneMapStore

/// `GET /qgis/onemap.qgs`: a QGIS project of this server for the caller (the layers it may read,
/// its key carried in their URLs when it came as `?key=`), as of `datetime` (default today).
struct QGISRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore
    let governance: Governance
    let stylesDirectory: String
    let fallbackBaseURL: String

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/qgis/onemap.qgs") { request, context in try await self.project(request, context) }
    }

    func project(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        var day = ISODate.string(Date())
        for (k, v) in QueryItems.of(request) {
            switch k {
            case "datetime": day = try AreaRoutes.day(v)
            default: throw APIError.badRequest("unknown query parameter '\(k)'; the project accepts datetime (a day) besides key and grant")
            }
        }
        let caller = context.caller, store = self.store, governance = self.governance, styles = stylesDirectory
        let base = BaseURL.of(request, fallback: fallbackBaseURL), access = BaseURL.accessQuery(request), asOf = day
        let (xml, count) = try await blocking { () throws -> (String, Int) in
            let layers = try governance.readable(try store.layers(), for: caller)
            let extent = try store.extent(layer: CoreLayers.adminAreas.id) ?? BBox(minX: 116.37, minY: 25.5, maxX: 118.65, maxY: 27.12)
            let collections = QGISProject.collections(of: layers)
            let style: String
            do { style = try QGISProject.tileStyle(stylesDirectory: styles) } catch let e as StoreError { throw APIError.from(e) }
            return (try QGISProject(base: base, access: access, day: asOf, collections: collections, tileStyle: style, extent: extent).xml(),
                    collections.count)
        }
        governance.audit(request, context, action: "export", route: "/qgis/onemap.qgs", datetime: day, rows: count)
        return ExportResponse.make(Data(xml.utf8), mediaType: "application/x-qgis-project", filename: "onemap.qgs")
    }
}
