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
        let governance = self.governance
        let grants = access.grants
        let datetime = access.parameters.first { $0.0 == "datetime" }?.1
        // The release is audited once its size is known, before its first byte leaves.
        let audit: @Sendable (Int) -> Void = { rows in
            governance.audit(request, context, action: "export", route: "/collections/{id}/export", layer: layer.id, grants: grants,
                             area: Governance.box(parsed.items.query.bbox), datetime: datetime, rows: rows)
        }
        do {
            return try await ExportResponse.streamed(lane: exportLane, what: "an export", mediaType: parsed.format.mediaType,
                                                     filename: "\(layer.id)-\(day).\(parsed.format.fileExtension)", logger: context.logger) { sink in
                try FeatureExport.stream(parsed, view: view, store: store, title: "\(layer.title) \(day)", into: sink, starting: audit)
            }
        } catch let e as StoreError {
            throw APIError.from(e)
        } catch let e as FeatureExport.ExportError {
            throw APIError.badRequest(e.description)
        }
    }
}
