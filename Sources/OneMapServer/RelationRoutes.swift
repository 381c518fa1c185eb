import Foundation
import Hummingbird
import OneMapAccess
import OneMapQuery
import OneMapStore

/// `GET /relations/{type}/{id}?depth=1..3&datetime=`: what is connected to a building, person,
/// household, enterprise or area, and when (nodes and edges with their valid time). People and
/// enterprises appear as the caller's views of their layers show them; a caller who may not read
/// people sees buildings with counts (where it may count them exactly) instead.
struct RelationRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore & ProfileStore
    let governance: Governance

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/relations/:type/:id") { request, context in try await self.graph(request, context) }
    }

    func graph(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let typeName = context.parameters.get("type") ?? ""
        guard let type = RelationNodeType(rawValue: typeName) else {
            throw APIError.notFound("no relation type '\(typeName)'; one of \(RelationNodeType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let id = try ProfileRoutes.checkedKey(context.parameters.get("id") ?? "", what: "a \(typeName) key")
        var day = ISODate.string(Date()), depth = 1
        for (k, v) in QueryItems.of(request) {
            switch k {
            case "datetime": day = try AreaRoutes.day(v)
            case "depth":
                guard let n = Int(v), (1...3).contains(n) else { throw APIError.badRequest("depth '\(v)' must be 1, 2 or 3") }
                depth = n
            default: throw APIError.badRequest("unknown query parameter '\(k)'; /relations accepts depth and datetime")
            }
        }
        if context.caller.principal.selfHolder != nil {
            throw APIError(.forbidden, "Forbidden", "relations are for departments; a signed-in person opens their own files (GET /self)")
        }
        let caller = context.caller, store = self.store, governance = self.governance, asOf = day, hops = depth
        let (graph, grants) = try await blocking { () throws -> (RelationGraph?, [ShareApplication]) in
            func view(_ layer: String) throws -> (LayerView, ShareApplication?)? {
                guard let l = try store.layer(id: layer) else { return nil }
                return try governance.viewIfAllowed(of: l, for: caller)
            }
            let people = try view(CoreLayers.population.id), firms = try view(CoreLayers.businesses.id)
            let needed: (LayerView, ShareApplication?)?? = switch type {
            case .person, .household: .some(people)
            case .enterprise: .some(firms)
            case .building: .some(try view(CoreLayers.buildings.id))
            case .area: .none
            }
            if case .some(nil) = needed {
                if caller.principal.department == nil {
                    throw APIError(.unauthorized, "Unauthorized", "the relations of a \(typeName) are for departments that may read them: send an API key",
                                   headers: [.wwwAuthenticate: "Bearer"])
                }
                throw APIError(.forbidden, "Forbidden", "the caller may not read the layer of a \(typeName)")
            }
            let rights = try RelationRights(people: people?.0, businesses: firms?.0,
                                        residentCounts: try governance.policy.countsExactly(CoreLayers.population.id, caller.principal),
                                        businessCounts: try governance.policy.countsExactly(CoreLayers.businesses.id, caller.principal))
            let graph = try RelationGraph.make(type: type, id: id, depth: hops, on: asOf, store: store, rights: rights)
            return (graph, [people?.1, firms?.1].compactMap { $0 })
        }
        governance.audit(request, context, route: "/relations/\(typeName)/{id}", layer: "buildings,population,businesses,admin_areas",
                         grants: grants, datetime: day, rows: graph?.nodes.count ?? 0, outcome: graph == nil ? "404" : "200")
        guard let graph else { throw APIError.notFound("no \(typeName) '\(id)' on \(day) that the caller may read") }
        var response = try JSONResponse.encode(graph)
        response.headers[.cacheControl] = "private, no-store"
        return response
    }
}
