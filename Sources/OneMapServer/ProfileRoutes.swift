import Foundation
import Hummingbird
import OneMapAccess
import OneMapGeo
import OneMapQuery
import OneMapStore

/// One person, one file; one enterprise, one file (一人一档、一企一档): a person's or an
/// enterprise's record over time, on any day. Personal data: only the layer's owner and callers
/// holding a grant in force that covers profiles read them (the administrator too needs one);
/// fields the grant does not name stay masked; every read is audited with the grant's purpose.
/// An unentitled caller learns nothing about whether a key exists.
struct ProfileRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore & ProfileStore
    let governance: Governance

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/profiles/persons/:key") { request, context in try await self.profile(request, context, layer: CoreLayers.population.id) }
        router.get("/profiles/enterprises/:key") { request, context in try await self.profile(request, context, layer: CoreLayers.businesses.id) }
    }

    func profile(_ request: Request, _ context: OneMapRequestContext, layer layerID: String) async throws -> Response {
        var day = ISODate.string(Date())
        for (k, v) in QueryItems.of(request) {
            guard k == "datetime" else { throw APIError.badRequest("unknown query parameter '\(k)'; a profile accepts datetime") }
            day = try AreaRoutes.day(v)
        }
        let key = context.parameters.get("key") ?? ""
        guard (1...64).contains(key.count), key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw APIError.badRequest("'\(key)' is not a person key or credit code (1 to 64 letters, digits, '-' or '_')")
        }
        let caller = context.caller, store = self.store, governance = self.governance, asOf = day
        let kind = layerID == CoreLayers.population.id ? "persons" : "enterprises"
        let (access, body) = try await blocking { () throws -> (ProfileAccess, Data?) in
            guard let layer = try store.layer(id: layerID) else { throw APIError.notFound("no layer '\(layerID)'") }
            guard let access = try governance.policy.profileAccess(caller.principal, layer: layer) else {
                if caller.principal.department == nil {
                    throw APIError(.unauthorized, "Unauthorized", "profiles are personal data: send a department's API key (Authorization: Bearer om_…)",
                                   headers: [.wwwAuthenticate: "Bearer"])
                }
                throw APIError(.forbidden, "Forbidden",
                               "profiles (一人一档、一企一档) are read under a grant on '\(layerID)' whose uses include profiles; apply with POST /applications {\"uses\": [\"profiles\"], …}")
            }
            let provenance = ProfileProvenance(layer: layerID, owner: layer.ownerDepartment, grant: access.grant?.id, purpose: access.grant?.purpose,
                                               generatedAt: AuditTrail.now(), generatedFor: caller.principal.auditName)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if layerID == CoreLayers.population.id {
                guard let p = try PersonProfile.make(key: key, on: asOf, store: store, view: access.view, provenance: provenance),
                      try Self.inArea(p.addresses.last?.location, access.area) else { return (access, nil) }
                return (access, try encoder.encode(p))
            }
            guard let e = try EnterpriseProfile.make(creditCode: key, on: asOf, store: store, view: access.view, provenance: provenance),
                  try Self.inArea(e.addresses.last?.location, access.area) else { return (access, nil) }
            return (access, try encoder.encode(e))
        }
        governance.audit(request, context, route: "/profiles/\(kind)/{key}", layer: layerID, grants: access.grant.map { [$0] } ?? [],
                         datetime: day, rows: body == nil ? 0 : 1, outcome: body == nil ? "404" : "200")
        guard let body else { throw APIError.notFound("no \(kind == "persons" ? "person" : "enterprise") '\(key)' on \(day) that the caller may read") }
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "private, no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Whether a grant limited to an area reaches the profile's latest address.
    static func inArea(_ location: [Double]?, _ area: Geometry?) throws -> Bool {
        guard let area else { return true }
        guard let l = location, l.count == 2 else { return false }
        return try GeometryEngine().prepare(area).contains(Position(l[0], l[1]))
    }
}
