import Foundation
import Hummingbird
import OneMapQuery
import OneMapReports
import OneMapStore

extension FeatureRoutes {
    /// `GET /collections/{id}/export?format=csv|xlsx|geojson|gpkg[&geometry=wkt|point|none][&limit=]`
    /// with the items' parameters: every matching feature in one file, as the caller may see it.
    func export(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let access = try await access(request, context)
        let layer = access.layer
        let parsed: FeatureExportRequest
        do { parsed = try FeatureExportRequest.parse(access.parameters, layer: layer, filterable: access.filterable, hidden: access.hidden) } catch {
            throw refused(error, request, context, route: "/collections/{id}/export", layer: layer.id)
        }
        let view = access.view
        let store = self.store
        let day = parsed.items.query.time.countsDay
        let (data, rows) = try await lane.run("an export") { () throws -> (Data, Int) in
            do { return try FeatureExport.run(parsed, view: view, store: store, title: "\(layer.title) \(day)") } catch let e as StoreError {
                throw APIError.from(e)
            } catch let e as FeatureExport.ExportError { throw APIError.badRequest(e.description) }
        }
        governance.audit(request, context, action: "export", route: "/collections/{id}/export", layer: layer.id, grants: access.grants,
                         area: Governance.box(parsed.items.query.bbox), datetime: access.parameters.first { $0.0 == "datetime" }?.1, rows: rows)
        return ExportResponse.make(data, format: parsed.format, filename: "\(layer.id)-\(day)")
    }
}
