import Foundation
import Hummingbird
import OneMapAccess
import OneMapGeo
import OneMapQuery
import OneMapReports
import OneMapStore

/// One person, one file; one enterprise, one file (一人一档、一企一档): a person's or an
/// enterprise's record over time, on any day. Personal data: only the layer's owner and callers
/// holding a grant in force that covers profiles read them (the administrator too needs one);
/// fields the grant does not name stay masked; every read is audited with the grant's purpose.
/// An unentitled caller learns nothing about whether a key exists.
struct ProfileRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore & ProfileStore
    let governance: Governance
    let stylesDirectory: String

    /// A profile as made for one caller.
    enum Made: Sendable {
        case person(PersonProfile)
        case enterprise(EnterpriseProfile)

        var lastLocation: [Double]? {
            switch self {
            case .person(let p): p.addresses.last?.location
            case .enterprise(let e): e.addresses.last?.location
            }
        }

        var locations: [[Double]] {
            switch self {
            case .person(let p): p.addresses.compactMap(\.location)
            case .enterprise(let e): e.addresses.compactMap(\.location)
            }
        }
    }

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/profiles/persons/:key") { request, context in try await self.profile(request, context, layer: CoreLayers.population.id) }
        router.get("/profiles/enterprises/:key") { request, context in try await self.profile(request, context, layer: CoreLayers.businesses.id) }
    }

    func profile(_ request: Request, _ context: OneMapRequestContext, layer layerID: String) async throws -> Response {
        var day = ISODate.string(Date()), format = "json"
        for (k, v) in QueryItems.of(request) {
            switch k {
            case "datetime": day = try AreaRoutes.day(v)
            case "f":
                guard ["json", "html", "pdf"].contains(v) else { throw APIError.badRequest("f=\(v) is not offered; use json, html or pdf") }
                format = String(v)
            default: throw APIError.badRequest("unknown query parameter '\(k)'; a profile accepts datetime and f")
            }
        }
        let key = try Self.checkedKey(context.parameters.get("key") ?? "", what: "a person key or credit code")
        let caller = context.caller, store = self.store, governance = self.governance, asOf = day
        let kind = layerID == CoreLayers.population.id ? "persons" : "enterprises"
        let (access, made) = try await blocking { () throws -> (ProfileAccess, Made?) in
            guard let layer = try store.layer(id: layerID) else { throw APIError.notFound("no layer '\(layerID)'") }
            if let holder = caller.principal.selfHolder {
                // A signed-in person opens their own files only; any other key is refused alike,
                // whether or not it exists.
                guard let access = governance.policy.selfProfileAccess(holder, layer: layer, key: key) else {
                    throw APIError(.forbidden, "Forbidden",
                                   "a signed-in person opens only their own file\(layerID == CoreLayers.population.id ? "" : "s of the enterprises they represent"); see GET /self")
                }
                let provenance = ProfileProvenance(layer: layerID, owner: layer.ownerDepartment, grant: nil, purpose: AccessPolicy.selfServicePurpose,
                                                   generatedAt: AuditTrail.now(), generatedFor: caller.principal.auditName)
                let made: Made? = if layerID == CoreLayers.population.id {
                    try PersonProfile.make(key: key, on: asOf, store: store, view: access.view, provenance: provenance).map(Made.person)
                } else {
                    try EnterpriseProfile.make(creditCode: key, on: asOf, store: store, view: access.view, provenance: provenance).map(Made.enterprise)
                }
                return (access, made)
            }
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
            let made: Made? = if layerID == CoreLayers.population.id {
                try PersonProfile.make(key: key, on: asOf, store: store, view: access.view, provenance: provenance).map(Made.person)
            } else {
                try EnterpriseProfile.make(creditCode: key, on: asOf, store: store, view: access.view, provenance: provenance).map(Made.enterprise)
            }
            guard let made, try Self.inArea(made.lastLocation, access.area) else { return (access, nil) }
            return (access, made)
        }
        let grants = access.grant.map { [$0] } ?? []
        let purpose = caller.principal.selfHolder == nil ? nil : AccessPolicy.selfServicePurpose
        let route = "/profiles/\(kind)/{key}"
        guard let made else {
            governance.audit(request, context, route: route, layer: layerID, grants: grants, datetime: day, rows: 0, outcome: "404", purpose: purpose)
            throw APIError.notFound("no \(kind == "persons" ? "person" : "enterprise") '\(key)' on \(day) that the caller may read")
        }
        if format == "json" {
            governance.audit(request, context, route: route, layer: layerID, grants: grants, datetime: day, rows: 1, purpose: purpose)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let body: Data = switch made {
            case .person(let p): try encoder.encode(p)
            case .enterprise(let e): try encoder.encode(e)
            }
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "private, no-store"],
                            body: .init(byteBuffer: ByteBuffer(bytes: body)))
        }
        // A page cites its audit record: written first.
        let auditID = try governance.auditNow(request, context, action: "export", route: route, layer: layerID, grants: grants, datetime: day, rows: 1,
                                              purpose: purpose)
        let styles = stylesDirectory, asPDF = format == "pdf"
        let data = try await blocking { () throws -> Data in
            let scene = try Self.scene(made.locations, day: asOf, store: store, governance: governance, caller: caller)
            let page: ProfilePage = switch made {
            case .person(let p): .person(p, scene: scene, auditID: auditID)
            case .enterprise(let e): .enterprise(e, scene: scene, auditID: auditID)
            }
            let style = try MapStyle.load(stylesDirectory: styles)
            return asPDF ? try page.pdf(style: style) : Data(try page.html(style: style).utf8)
        }
        if format == "pdf" { return ExportResponse.make(data, mediaType: "application/pdf", filename: "profile-\(key)-\(day).pdf", inline: true) }
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A small map around the profile's addresses, the buildings standing out.
    static func scene(_ locations: [[Double]], day: String, store: any FeatureStore & GovernanceStore & ProfileStore, governance: Governance,
                      caller: Caller) throws -> MapScene? {
        let points = locations.filter { $0.count == 2 }
        guard !points.isEmpty else { return nil }
        let xs = points.map { $0[0] }, ys = points.map { $0[1] }
        let pad = 0.004
        let bbox = "\(xs.min()! - pad),\(ys.min()! - pad),\(xs.max()! + pad),\(ys.max()! + pad)"
        let request: MapRequest
        do {
            request = try MapRequest.parse([("bbox", bbox), ("width", "480"), ("height", "300"), ("layers", "admin_areas,buildings"), ("datetime", day)])
        } catch { throw APIError.badRequest(error.description) }
        let d = 0.0003
        let focus = Geometry.multiPolygon(points.map { p in
            [[Position(p[0] - d, p[1] - d), Position(p[0] + d, p[1] - d), Position(p[0] + d, p[1] + d), Position(p[0] - d, p[1] + d), Position(p[0] - d, p[1] - d)]]
        })
        return try MapScene.load(request, store: store, views: try MapRoutes.mapViews(store: store, governance: governance, caller: caller), focus: focus)
    }

    /// An entity key from a path (person key, credit code, building or area code): 1 to 64
    /// letters, digits, '-' or '_', else 400 naming what was expected.
    static func checkedKey(_ key: String, what: String) throws -> String {
        guard (1...64).contains(key.count), key.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw APIError.badRequest("'\(key)' is not \(what) (1 to 64 letters, digits, '-' or '_')")
        }
        return key
    }

    /// Whether a grant limited to an area reaches the profile's latest address.
    static func inArea(_ location: [Double]?, _ area: Geometry?) throws -> Bool {
        guard let area else { return true }
        guard let l = location, l.count == 2 else { return false }
        return try GeometryEngine().prepare(area).contains(Position(l[0], l[1]))
    }
}
