import Foundation
import Hummingbird
import OneMapAccess
import OneMapGeo
import OneMapQuery
import OneMapStore

/// Unique and countable (唯一可数): `GET /entities/{code}/history` lists every version of a
/// building, an administrative area or an enterprise by its stable code, fields as the caller's
/// view of the layer shows them. People are not entities here: their files are profiles.
struct EntityRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore & ProfileStore
    let governance: Governance

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/entities/:code/history") { request, context in try await self.history(request, context) }
    }

    struct History: Encodable {
        let code: String
        let type: String
        let layer: String
        let versions: [ProfileVersion]
    }

    func history(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let code = try ProfileRoutes.checkedKey(context.parameters.get("code") ?? "", what: "an entity code")
        let caller = context.caller, store = self.store, governance = self.governance
        let (doc, grant) = try await blocking { () throws -> (History?, ShareApplication?) in
            // The code says which kind of entity it is: 6, 9 or 12 digits an area, 18 characters
            // passing GB 32100 an enterprise, anything else a building.
            let (type, layerID): (String, String) = code.count == 18 && CreditCode.isValid(code) ? ("enterprise", CoreLayers.businesses.id)
                : ([6, 9, 12].contains(code.count) && code.allSatisfy(\.isNumber) ? ("area", CoreLayers.adminAreas.id) : ("building", CoreLayers.buildings.id))
            guard let layer = try store.layer(id: layerID) else { return (nil, nil) }
            let (view, grant) = try governance.view(of: layer, for: caller)
            var versions: [RecordVersion] = switch type {
            case "enterprise": try store.recordVersions(layer: layerID, key: code)
            case "area": try store.areaVersions(code: code)
            default: try store.buildingVersions(codes: [code])
            }
            // A grant limited to an area shows the versions whose building lies in it.
            if let area = view.area, type != "area" {
                let prepared = try GeometryEngine().prepare(area)
                let codes = type == "enterprise" ? Array(Set(versions.compactMap { $0.text("building_code") })) : [code]
                let places = Dictionary(try store.buildingVersions(codes: codes).compactMap { b -> (String, Position)? in
                    guard let c = b.text("entity_code"), case .double(let x) = b.fields["cx"], case .double(let y) = b.fields["cy"] else { return nil }
                    return (c, Position(x, y))
                }, uniquingKeysWith: { _, latest in latest })
                versions = versions.filter { v in
                    let c = type == "enterprise" ? v.text("building_code") : code
                    return c.flatMap { places[$0] }.map { prepared.contains($0) } ?? false
                }
            }
            guard !versions.isEmpty else { return (nil, grant) }
            return (History(code: code, type: type, layer: layerID, versions: versions.map { v in
                var fields: [String: FieldJSON] = [:]
                for i in view.visible {
                    let name = layer.fields[i].name
                    if let value = v.fields[name] { fields[name] = FieldJSON(view.shown(i, value)) }
                }
                return ProfileVersion(id: v.id, from: v.validFrom, to: v.validTo, fields: fields)
            }), grant)
        }
        governance.audit(request, context, route: "/entities/{code}/history", layer: doc?.layer, grants: grant.map { [$0] } ?? [],
                         rows: doc?.versions.count ?? 0, outcome: doc == nil ? "404" : "200")
        guard let doc else { throw APIError.notFound("no entity '\(code)' the caller may read") }
        return try JSONResponse.encode(doc)
    }
}
