import Foundation
import Hummingbird
import OneMapAccess
import OneMapStore

/// What every route needs from governance: the policy's decisions as HTTP errors, and the audit.
struct Governance: Sendable {
    let policy: AccessPolicy
    let authenticator: Authenticator
    let trail: AuditTrail

    /// The caller's view of a layer, or 401/403 naming why not.
    func view(of layer: LayerInfo, for caller: Caller) throws -> (view: LayerView, grant: ShareApplication?) {
        do { return try policy.view(of: layer, for: caller.principal, grantID: caller.grantID) } catch let denied as AccessDenied {
            throw Self.error(denied)
        }
    }

    /// The views of several layers (tiles of `a,b`): all must be readable. A named grant applies
    /// to the layer it is for; naming one for none of them is refused.
    func views(of layers: [LayerInfo], for caller: Caller) throws -> (views: [LayerView], grants: [ShareApplication]) {
        var grantLayer: String?
        if let id = caller.grantID, let d = caller.principal.department {
            grantLayer = try policy.activeGrants(of: d.code, on: ISODate.string(Date())).first { $0.id == id }?.layer
        }
        var views: [LayerView] = [], grants: [ShareApplication] = []
        for l in layers {
            let named = grantLayer == l.id ? caller.grantID : nil
            let (v, g) = try view(of: l, for: Caller(principal: caller.principal, grantID: named))
            views.append(v)
            if let g { grants.append(g) }
        }
        if let id = caller.grantID, grantLayer == nil || !layers.contains(where: { $0.id == grantLayer }) {
            throw Self.error(AccessDenied(caller.principal.department == nil ? .unauthenticated : .forbidden,
                                          "grant \(id) is not an approved grant of the caller in force today for \(layers.map(\.id).joined(separator: ","))"))
        }
        return (views, grants)
    }

    /// Layers the caller may read (listings show only these).
    func readable(_ layers: [LayerInfo], for caller: Caller) throws -> [LayerInfo] {
        try layers.filter { try policy.canRead($0, caller.principal) }
    }

    func disclosure(for caller: Caller, area: StatisticsArea) throws -> (StatisticsDisclosure, [ShareApplication]) {
        do { return try policy.disclosure(for: caller.principal, area: area, grantID: caller.grantID) } catch let denied as AccessDenied {
            throw Self.error(denied)
        }
    }

    /// The caller's view of a layer, nil when the policy refuses it (a store failure still throws).
    func viewIfAllowed(of layer: LayerInfo, for caller: Caller) throws -> (view: LayerView, grant: ShareApplication?)? {
        do { return try policy.view(of: layer, for: caller.principal, grantID: caller.grantID) } catch is AccessDenied { return nil }
    }

    /// `views(of:for:)`, nil when the policy refuses one of them (a store failure still throws).
    func viewsIfAllowed(of layers: [LayerInfo], for caller: Caller) throws -> (views: [LayerView], grants: [ShareApplication])? {
        do { return try views(of: layers, for: caller) } catch let e as APIError where e.status == .unauthorized || e.status == .forbidden { return nil }
    }

    /// A layer's extent as the view shows it: within the view's area (an area-limited grant) the
    /// box of the features there can be, not of the whole layer; nil when they cannot meet.
    static func extent(_ layerExtent: BBox?, in view: LayerView) -> BBox? {
        guard let e = layerExtent else { return nil }
        guard let a = view.area?.bbox else { return e }
        let minX = max(e.minX, a.minX), minY = max(e.minY, a.minY), maxX = min(e.maxX, a.maxX), maxY = min(e.maxY, a.maxY)
        return minX <= maxX && minY <= maxY ? BBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY) : nil
    }

    static func error(_ denied: AccessDenied) -> APIError {
        switch denied.kind {
        case .unauthenticated: APIError(.unauthorized, "Unauthorized", denied.message, headers: [.wwwAuthenticate: "Bearer"])
        case .forbidden: APIError(.forbidden, "Forbidden", denied.message)
        }
    }

    /// Appends one audit record (buffered; written within a fraction of a second).
    func audit(_ request: Request, _ context: OneMapRequestContext, action: String = "read", route: String, layer: String? = nil,
               grants: [ShareApplication] = [], area: String? = nil, datetime: String? = nil, rows: Int? = nil, outcome: String = "200",
               purpose: String? = nil) {
        trail.record(AuditRecord(
            at: AuditTrail.now(), principal: context.caller.principal.auditName, action: action,
            endpoint: "\(request.method.rawValue) \(route)", layer: layer, grantID: grants.first?.id,
            purpose: purpose ?? (grants.isEmpty ? nil : grants.map(\.purpose).joined(separator: "; ")), area: area, datetime: datetime,
            rows: rows, client: context.clientAddress, outcome: outcome))
    }

    /// Writes one audit record at once and returns its number (a report prints it).
    func auditNow(_ request: Request, _ context: OneMapRequestContext, action: String = "read", route: String, layer: String? = nil,
                  grants: [ShareApplication] = [], area: String? = nil, datetime: String? = nil, rows: Int? = nil,
                  outcome: String = "200", purpose: String? = nil) throws -> Int64 {
        try trail.recordNow(AuditRecord(
            at: AuditTrail.now(), principal: context.caller.principal.auditName, action: action,
            endpoint: "\(request.method.rawValue) \(route)", layer: layer, grantID: grants.first?.id,
            purpose: purpose ?? (grants.isEmpty ? nil : grants.map(\.purpose).joined(separator: "; ")), area: area, datetime: datetime,
            rows: rows, client: context.clientAddress, outcome: outcome))
    }

    /// Text for an audit record's area from a box.
    static func box(_ b: BBox?) -> String? {
        b.map { String(format: "bbox %.6f,%.6f,%.6f,%.6f", $0.minX, $0.minY, $0.maxX, $0.maxY) }
    }
}

import OneMapGeo
