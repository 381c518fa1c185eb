import Foundation
import Hummingbird
import NIOCore
import OneMapAccess
import OneMapGeo
import OneMapQuery
import OneMapReports
import OneMapStore

/// Sharing as the plan runs it: `/me`, `/catalog` (every layer's share class and what the caller
/// may do with it), applications for conditional data and their decisions, and the audit log.
struct GovernanceRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore
    let governance: Governance

    static let maxBody = 8 << 20

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/me") { request, context in try await self.me(request, context) }
        router.get("/catalog") { request, context in try await self.catalog(request, context) }
        router.post("/applications") { request, context in try await self.submit(request, context) }
        router.get("/applications") { request, context in try await self.list(request, context) }
        router.get("/applications/:id") { request, context in try await self.one(request, context) }
        router.post("/applications/:id/:decision") { request, context in try await self.decide(request, context) }
        router.get("/audit") { request, context in try await self.audit(request, context) }
    }

    private func department(_ context: OneMapRequestContext) throws -> Department {
        guard let d = context.caller.principal.department else {
            throw APIError(.unauthorized, "Unauthorized", "this needs a department's API key (Authorization: Bearer om_…)",
                           headers: [.wwwAuthenticate: "Bearer"])
        }
        return d
    }

    static func json(_ a: ShareApplication) -> [String: Any] {
        var o: [String: Any] = [
            "id": a.id, "department": a.department, "layer": a.layer, "fields": a.fields, "purpose": a.purpose,
            "validFrom": a.validFrom, "validTo": a.validTo, "status": a.status.rawValue, "submittedAt": a.submittedAt,
            "decidedBy": a.decidedBy ?? NSNull(), "decidedAt": a.decidedAt ?? NSNull(), "decisionNote": a.decisionNote ?? NSNull(),
            "active": a.isActive(on: ISODate.string(Date())), "uses": a.uses.map(\.rawValue).sorted(),
        ]
        if let area = a.area {
            var ao: [String: Any] = [:]
            if !area.codes.isEmpty { ao["codes"] = area.codes }
            if let g = area.geometry { ao["geometry"] = (try? JSONSerialization.jsonObject(with: Data(GeoJSON.string(g).utf8))) ?? NSNull() }
            o["area"] = ao
        } else {
            o["area"] = NSNull()
        }
        return o
    }

    func me(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let p = context.caller.principal
        if p.selfHolder != nil {
            return JSONResponse.make(["principal": p.auditName, "readable": "the holder's own files (GET /self), and what anonymous callers read"])
        }
        guard let d = p.department else { return JSONResponse.make(["principal": "anonymous", "readable": "open layers, public fields"]) }
        let grants = try await blocking { try governance.policy.activeGrants(of: d.code, on: ISODate.string(Date())) }
        return JSONResponse.make(["principal": p.auditName, "department": ["code": d.code, "name": d.name, "role": d.role.rawValue],
                                  "grants": grants.map(Self.json)])
    }

    /// Every layer the caller may know of (anonymous: open ones) with what the caller may do.
    func catalog(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let caller = context.caller
        let entries = try await blocking { () throws -> Data in
            try JSONSerialization.data(withJSONObject: try store.layers().compactMap { l -> [String: Any]? in
                guard caller.principal.department != nil || l.open else { return nil }
                // Refused: no view (any other failure is the store's, and fails the request).
                let view: LayerView?
                do { view = try governance.policy.view(of: l, for: caller.principal).view } catch is AccessDenied { view = nil }
                let access: String = if governance.policy.isOwnerOrAdministrator(caller.principal, of: l) { "full" }
                    else if view != nil { "read" } else if l.shareClass == .conditional { "apply" } else { "none" }
                // A layer the caller can neither read nor apply for shows no field names either.
                let fields = access == "none" ? [] : Array(l.fields.enumerated())
                return ["id": l.id, "title": l.title, "owner": l.ownerDepartment, "shareClass": l.shareClass.rawValue, "open": l.open,
                        "spatial": l.isSpatial, "access": access,
                        "fields": fields.map { i, f -> [String: Any] in
                            ["name": f.name, "type": f.type.rawValue, "sensitivity": f.sensitivity.rawValue,
                             "shown": view.map { v in v.visible.contains(i) ? (v.masked.contains(i) ? "masked" : "yes") : "no" } ?? "no"]
                        }]
            })
        }
        governance.audit(request, context, route: "/catalog")
        return JSONResponse.make(["layers": try JSONSerialization.jsonObject(with: entries),
                                  "rules": ["unconditional": "无条件共享: every department reads it (personal fields masked)",
                                            "conditional": "有条件共享: read under an approved application, its fields and area, until it ends",
                                            "not_shared": "不予共享: the owner department only"]])
    }

    static func body(_ request: Request) async throws -> Any {
        try JSONBody.parse(try await JSONBody.read(request, upTo: maxBody), empty: [String: Any](), hint: "see /api for the request's members")
    }

    static func parseApplication(_ json: Any, department: String) throws -> NewApplication {
        do { return try ApplicationRequest.parse(json: json, department: department) } catch { throw APIError.badRequest(error.description) }
    }

    func submit(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let d = try department(context)
        let parsed = try Self.parseApplication(try await Self.body(request), department: d.code)
        let stored = try await blocking { () throws -> ShareApplication in
            guard let layer = try store.layer(id: parsed.layer) else { throw APIError.notFound("no layer '\(parsed.layer)'; see /catalog") }
            if layer.shareClass == .notShared {
                throw APIError(.forbidden, "Forbidden", "layer '\(layer.id)' is not shared (不予共享); applications for it are not accepted")
            }
            if layer.ownerDepartment == d.code { throw APIError.badRequest("\(d.code) owns '\(layer.id)' and reads it whole already") }
            do {
                return try store.submitApplication(parsed)
            } catch let e as StoreError { throw APIError.from(e) }
        }
        governance.audit(request, context, action: "grant", route: "/applications", layer: stored.layer,
                         area: stored.area.map { $0.codes.isEmpty ? (Governance.box($0.geometry?.bbox) ?? "") : $0.codes.joined(separator: ",") },
                         outcome: "201 application \(stored.id) submitted")
        return JSONResponse.make(Self.json(stored), status: .created)
    }

    func list(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let d = try department(context)
        var status: ApplicationStatus?
        for (k, v) in QueryItems.of(request) {
            guard k == "status" else { throw APIError.badRequest("unknown query parameter '\(k)'; /applications accepts status") }
            guard let s = ApplicationStatus(rawValue: v) else {
                throw APIError.badRequest("status '\(v)' is not one of \(ApplicationStatus.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            status = s
        }
        let wanted = status
        let list = try await blocking { () throws -> [ShareApplication] in
            // The administrator sees all; a department its own applications and those for its layers.
            let all = d.role == .administrator ? try store.applications(byDepartment: nil, forOwner: nil)
                : try store.applications(byDepartment: d.code, forOwner: d.code)
            return all.filter { wanted == nil || $0.status == wanted }
        }
        return JSONResponse.make(["applications": list.map(Self.json)])
    }

    /// The application, if the caller is its applicant, the layer's owner or the administrator.
    private func visible(_ id: Int64, to d: Department) throws -> (ShareApplication, LayerInfo) {
        guard let a = try store.application(id: id), let layer = try store.layer(id: a.layer),
              d.role == .administrator || a.department == d.code || layer.ownerDepartment == d.code else {
            throw APIError.notFound("no application \(id) visible to \(d.code)")
        }
        return (a, layer)
    }

    static func id(_ context: OneMapRequestContext) throws -> Int64 {
        let text = context.parameters.get("id") ?? ""
        guard let id = Int64(text), id > 0 else { throw APIError.notFound("no application '\(text)' (ids are positive integers)") }
        return id
    }

    func one(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let d = try department(context)
        let id = try Self.id(context)
        let (a, _) = try await blocking { try visible(id, to: d) }
        return JSONResponse.make(Self.json(a))
    }

    /// `POST /applications/{id}/approve|reject|revoke` with an optional {"note": "..."}: the layer's
    /// owner or the administrator decides; nobody decides their own application.
    func decide(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let d = try department(context)
        let id = try Self.id(context)
        let decision = context.parameters.get("decision") ?? ""
        let status: ApplicationStatus
        switch decision {
        case "approve": status = .approved
        case "reject": status = .rejected
        case "revoke": status = .revoked
        default: throw APIError.notFound("no action '\(decision)'; an application is approved, rejected or revoked")
        }
        let body = try await Self.body(request)
        guard let object = body as? [String: Any], object.keys.allSatisfy({ $0 == "note" }) else {
            throw APIError.badRequest("the body is empty or {\"note\": \"...\"}")
        }
        if let n = object["note"], !(n is String) { throw APIError.badRequest("\"note\" must be text") }
        let note = object["note"] as? String
        let decided = try await blocking { () throws -> ShareApplication in
            let (a, layer) = try visible(id, to: d)
            guard d.role == .administrator || layer.ownerDepartment == d.code else {
                throw APIError(.forbidden, "Forbidden", "only \(layer.ownerDepartment) (the owner of '\(layer.id)') or the administrator decides application \(id)")
            }
            guard a.department != d.code else { throw APIError(.forbidden, "Forbidden", "a department does not decide its own application") }
            do { return try store.decideApplication(id: id, status: status, by: d.code, note: note) } catch let e as StoreError {
                // The store refuses a decision the application's state does not allow: a conflict.
                throw e.kind == .invalid ? APIError(.conflict, "Conflict", e.message) : APIError.from(e)
            }
        }
        governance.policy.invalidate()
        governance.audit(request, context, action: "grant", route: "/applications/{id}/\(decision)", layer: decided.layer,
                         grants: [decided], outcome: "200 application \(id) \(decided.status.rawValue)")
        return JSONResponse.make(Self.json(decided))
    }

    /// The kinds of audit record.
    static let auditActions = ["read", "export", "change", "grant", "key", "problem"]

    /// `GET /audit`: the administrator reads the log (JSON, or CSV with f=csv).
    func audit(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let d = try department(context)
        guard d.role == .administrator else { throw APIError(.forbidden, "Forbidden", "the audit log is read by the administrator (the data center)") }
        var q = AuditQuery()
        var csv = false
        var seen: Set<String> = []
        for (k, v) in QueryItems.of(request) {
            guard seen.insert(String(k)).inserted else { throw APIError.badRequest("parameter '\(k)' is given twice") }
            switch k {
            case "principal": q.principal = v
            case "layer": q.layer = v
            case "action":
                guard Self.auditActions.contains(v) else {
                    throw APIError.badRequest("action '\(v)' is not one of \(Self.auditActions.joined(separator: ", "))")
                }
                q.action = v
            case "from": q.from = try AreaRoutes.day(v)
            case "to": q.to = try AreaRoutes.day(v)
            case "after":
                guard let n = Int64(v), n >= 0 else { throw APIError.badRequest("after '\(v)' is not a record number") }
                q.afterSeq = n
            case "limit":
                guard let n = Int(v), n >= 1 else { throw APIError.badRequest("limit '\(v)' must be a positive integer") }
                q.limit = min(n, 10_000)
            case "f":
                guard v == "json" || v == "csv" else { throw APIError.badRequest("f=\(v) is not offered; use json or csv") }
                csv = v == "csv"
            default: throw APIError.badRequest("unknown query parameter '\(k)'; /audit accepts principal, layer, action, from, to, after, limit and f")
            }
        }
        let query = q
        let trail = governance.trail
        let entries = try await blocking { () throws -> [AuditEntry] in
            try trail.flush()
            return try store.auditEntries(query)
        }
        if csv {
            var out = "\u{FEFF}seq,at,principal,action,endpoint,layer,grant_id,purpose,area,datetime,rows,client,outcome,count,prev_hash,hash\r\n"
            for e in entries {
                let r = e.record
                let cells: [String?] = [String(e.seq), r.at, r.principal, r.action, r.endpoint, r.layer, r.grantID.map { String($0) }, r.purpose,
                                        r.area, r.datetime, r.rows.map { String($0) }, r.client, r.outcome, String(r.count ?? 1), e.prevHash, e.hash]
                CSVWriter.appendRow(cells.map { $0 ?? "" }, into: &out)
            }
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"onemap-audit.csv\""],
                            body: .init(byteBuffer: ByteBuffer(string: out)))
        }
        return JSONResponse.make(["records": entries.map { e -> [String: Any] in
            let r = e.record
            return ["seq": e.seq, "at": r.at, "principal": r.principal, "action": r.action, "endpoint": r.endpoint, "layer": r.layer ?? NSNull(),
                    "grant": r.grantID ?? NSNull(), "purpose": r.purpose ?? NSNull(), "area": r.area ?? NSNull(), "datetime": r.datetime ?? NSNull(),
                    "rows": r.rows ?? NSNull(), "client": r.client ?? NSNull(), "outcome": r.outcome, "count": r.count ?? 1,
                    "prevHash": e.prevHash, "hash": e.hash]
        }, "next": entries.count == query.limit ? (entries.last.map { $0.seq } ?? 0) as Any : NSNull()])
    }
}
