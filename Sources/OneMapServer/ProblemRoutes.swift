import Foundation
import Hummingbird
import NIOCore
import OneMapAccess
import OneMapGeo
import OneMapQuery
import OneMapStore

/// The correction loop (clause 14: 发现、提交、纠治、反馈确认) over HTTP: departments file problems
/// against data they may read, the owner accepts or rejects and corrects (linking the version
/// that fixed it), the reporter confirms or reopens. Every step is audited; a department sees
/// only problems on data it may read (inside its grant's area, if the grant has one).
struct ProblemRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore & ProblemStore
    let governance: Governance
    let fallbackBaseURL: String

    /// A base64 attachment at the size limit, with room for the rest of the report.
    static let maxBody = (ProblemRules.maxAttachmentBytes / 3 + 1) * 4 + (256 << 10)
    static let listParameters: Set<String> = ["layer", "state", "priority", "department", "role", "bbox", "area", "from", "to", "overdue", "check",
                                              "limit", "offset", "f"]

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.post("/problems") { request, context in try await self.file(request, context) }
        router.get("/problems") { request, context in try await self.list(request, context) }
        router.get("/problems/feed") { request, context in try await self.feed(request, context) }
        router.put("/problems/webhook") { request, context in try await self.setWebhook(request, context) }
        router.get("/problems/webhook") { request, context in try await self.webhook(request, context) }
        router.delete("/problems/webhook") { request, context in try await self.removeWebhook(request, context) }
        router.get("/problems/:id") { request, context in try await self.one(request, context) }
        router.get("/problems/:id/attachment") { request, context in try await self.attachment(request, context) }
        // One route per step: `/problems/{id}/attachment` answers GET only.
        for action in ProblemAction.allCases where action != .file {
            router.post("/problems/:id/\(action.rawValue)") { request, context in try await self.step(request, context, action) }
        }
    }

    // MARK: who sees what

    /// Who files and follows: a department (by its code), or a signed-in person (by their
    /// pseudonymous reporter code), who files only on their own records and sees only what they
    /// filed.
    private func actor(_ context: OneMapRequestContext) throws -> (code: String, holder: SelfHolder?) {
        if let h = context.caller.principal.selfHolder { return (h.reporterCode, h) }
        return (try department(context).code, nil)
    }

    private func department(_ context: OneMapRequestContext) throws -> Department {
        guard let d = context.caller.principal.department else {
            throw APIError(.unauthorized, "Unauthorized", "problem reports are for departments: send an API key (Authorization: Bearer om_…)",
                           headers: [.wwwAuthenticate: "Bearer"])
        }
        return d
    }

    /// What one caller may see of problems, worked out once per request: the views of the layers
    /// it may read, and the prepared areas of area-limited grants.
    final class Sight {
        let caller: Caller
        let governance: Governance
        let store: any FeatureStore & GovernanceStore & ProblemStore
        private var views: [String: LayerView?] = [:]
        private var areas: [String: PreparedGeometry] = [:]
        private let engine = GeometryEngine()

        init(caller: Caller, governance: Governance, store: any FeatureStore & GovernanceStore & ProblemStore) {
            self.caller = caller; self.governance = governance; self.store = store
        }

        /// The caller's view of a layer; nil when the layer is gone or the policy refuses it. A
        /// signed-in person sees the problems they filed, on their own records, in full.
        func view(_ layerID: String) throws -> LayerView? {
            if let v = views[layerID] { return v }
            let v: LayerView? = if caller.principal.selfHolder != nil {
                try store.layer(id: layerID).flatMap { [CoreLayers.population.id, CoreLayers.businesses.id].contains($0.id) ? LayerView.full($0) : nil }
            } else {
                try store.layer(id: layerID).flatMap { try governance.viewIfAllowed(of: $0, for: caller)?.view }
            }
            views[layerID] = v
            return v
        }

        /// Whether the caller may see `p`: its layer is readable to it, and an area-limited view
        /// reaches the problem's location.
        func sees(_ p: Problem) throws -> Bool {
            if let holder = caller.principal.selfHolder { return p.reporter == holder.reporterCode }
            guard let view = try view(p.layer) else { return false }
            guard let area = view.area else { return true }
            guard let location = p.location else { return false }
            let key = view.areaKey ?? view.cacheKey
            let prepared: PreparedGeometry
            if let hit = areas[key] { prepared = hit } else { prepared = try engine.prepare(area); areas[key] = prepared }
            return try prepared.intersects(location)
        }

        /// The steps the caller may take on `p` now.
        func actions(_ p: Problem) throws -> [ProblemAction] {
            if let holder = caller.principal.selfHolder {
                return ProblemAction.allCases.filter { a in
                    a != .file && a.actor == .reporter && p.reporter == holder.reporterCode && ProblemRules.next(from: p.state, a) != nil
                }
            }
            guard let d = caller.principal.department else { return [] }
            let owner = try currentOwner(p)
            return ProblemAction.allCases.filter { a in
                guard a != .file, ProblemRules.next(from: p.state, a) != nil else { return false }
                // An automatic finding closes by itself: the owner corrects the data, not the problem.
                if a == .correct, p.check != nil, d.code != owner { return false }
                return a.actor == .owner ? d.code == owner : d.code == p.reporter
            }
        }

        /// The department that answers for the problem now: the layer's owner (ownership may move
        /// after filing), else the owner when it was filed.
        func currentOwner(_ p: Problem) throws -> String {
            try store.layer(id: p.layer)?.ownerDepartment ?? p.owner
        }
    }

    private func base(_ request: Request) -> String { BaseURL.of(request, fallback: fallbackBaseURL) }

    static func id(_ context: OneMapRequestContext) throws -> Int64 {
        guard let text = context.parameters.get("id"), let id = Int64(text), id > 0 else {
            throw APIError.badRequest("'\(context.parameters.get("id") ?? "")' is not a problem number")
        }
        return id
    }

    /// The problem, if the caller may see it; otherwise 404 (whether it exists is not told).
    private func visible(_ id: Int64, _ sight: Sight) throws -> Problem {
        guard let p = try store.problem(id: id), try sight.sees(p) else {
            throw APIError.notFound("no problem \(id) on data \(sight.caller.principal.department?.code ?? "the caller") may read")
        }
        return p
    }

    private func document(_ p: Problem, _ sight: Sight, history: Bool, base: String) throws -> ProblemDocument {
        ProblemDocument(p, view: try sight.view(p.layer),
                        callerDepartment: sight.caller.principal.selfHolder?.reporterCode ?? sight.caller.principal.department?.code,
                        actions: try sight.actions(p), history: history ? try store.problemEvents(problem: p.id) : nil,
                        base: base, today: ISODate.string(Date()))
    }

    // MARK: filing

    func file(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let (code, holder) = try actor(context)
        let body = try JSONBody.parse(try await JSONBody.read(request, upTo: Self.maxBody), hint: "a problem is {\"layer\", \"id\", \"field\", \"description\", …}")
        let parsed: NewProblem
        do { parsed = try ProblemRequest.parse(json: body, reporter: code) } catch { throw APIError.badRequest(error.description) }
        if let a = parsed.attachment, a.bytes.count > ProblemRules.maxAttachmentBytes {
            throw APIError(.contentTooLarge, "PayloadTooLarge",
                           "the attachment is \(a.bytes.count) bytes; at most \(ProblemRules.maxAttachmentBytes) (\(ProblemRules.maxAttachmentBytes >> 20) MiB) are taken")
        }
        let caller = context.caller, principal = caller.principal.auditName, base = base(request)
        let store = self.store, governance = self.governance
        let (problem, doc) = try await blocking { () throws -> (Problem, ProblemDocument) in
            guard let layer = try store.layer(id: parsed.layer) else { throw APIError.notFound("no layer '\(parsed.layer)'; see /catalog") }
            if let holder {
                // A person reports on their own file: a version of their own record, nothing else.
                guard let id = parsed.targetID else {
                    throw APIError.badRequest("a signed-in person files a problem on a version of their own record: give its id (see the profile's versions)")
                }
                var target: ProblemTargetRow?
                do { target = try store.problemTarget(layer: layer, id: id) } catch let e as StoreError { throw APIError.from(e) }
                guard let target, let key = target.entityKey, holder.owns(key, layer: layer.id) else {
                    throw APIError.notFound("layer '\(layer.id)' has no row \(id) of the caller's own files")
                }
                let stored: Problem
                do {
                    stored = try store.fileProblem(parsed, owner: layer.ownerDepartment, target: target, newestRow: try store.newestRowID(layer: layer),
                                                   by: ProblemActorName(principal: principal, department: nil))
                } catch let e as StoreError { throw APIError.from(e) }
                let sight = Sight(caller: caller, governance: governance, store: store)
                return (stored, try document(stored, sight, history: true, base: base))
            }
            // Filing needs the data readable: what a department may not read, it cannot report on.
            let (view, _) = try governance.view(of: layer, for: caller)
            var target: ProblemTargetRow?
            if let id = parsed.targetID {
                do { target = try store.problemTarget(layer: layer, id: id) } catch let e as StoreError { throw APIError.from(e) }
                // A row outside the caller's area is as unknown to it as a row that does not exist.
                let inArea = try view.area.map { area in try target?.point.map { try GeometryEngine().prepare(area).contains(.point($0)) } ?? false } ?? true
                guard target != nil, inArea else { throw APIError.notFound("layer '\(layer.id)' has no row \(id) the caller may read") }
            }
            if let field = parsed.field, let i = layer.fields.firstIndex(where: { $0.name == field }), !view.visible.contains(i) {
                throw APIError(.forbidden, "Forbidden", "field '\(field)' of '\(layer.id)' is not shown to \(code); a problem names fields it may read")
            }
            if parsed.location == nil, target == nil, view.area != nil {
                throw APIError.badRequest("a grant limited to an area files problems with a location or a row inside it")
            }
            let stored: Problem
            do {
                stored = try store.fileProblem(parsed, owner: layer.ownerDepartment, target: target,
                                               newestRow: try store.newestRowID(layer: layer),
                                               by: ProblemActorName(principal: principal, department: code))
            } catch let e as StoreError { throw APIError.from(e) }
            let sight = Sight(caller: caller, governance: governance, store: store)
            return (stored, try document(stored, sight, history: true, base: base))
        }
        try governance.auditNow(request, context, action: "problem", route: "/problems", layer: problem.layer,
                                area: Governance.box(problem.location?.bbox), rows: 1, outcome: "201 problem \(problem.id) filed")
        var response = try JSONResponse.encode(doc, status: .created)
        response.headers[.location] = "\(base)/problems/\(problem.id)"
        return response
    }

    // MARK: steps

    func step(_ request: Request, _ context: OneMapRequestContext, _ action: ProblemAction) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let (code, holder) = try actor(context)
        let id = try Self.id(context)
        let json = try JSONBody.parse(try await JSONBody.read(request, upTo: 64 << 10), empty: [String: Any](), hint: "a step is {\"note\", \"version\"}")
        let (note, version): (String?, Int64?)
        do { (note, version) = try ProblemRequest.step(json: json) } catch { throw APIError.badRequest(error.description) }
        let caller = context.caller, principal = caller.principal.auditName, base = base(request)
        let store = self.store, governance = self.governance
        let (problem, doc, from) = try await blocking { () throws -> (Problem, ProblemDocument, ProblemState) in
            let sight = Sight(caller: caller, governance: governance, store: store)
            let p = try visible(id, sight)
            let owner = try sight.currentOwner(p)
            switch action.actor {
            case .owner where code != owner || holder != nil:
                throw APIError(.forbidden, "Forbidden", "only \(owner), the owner of '\(p.layer)', may \(action.rawValue) problem \(id)")
            case .reporter where code != p.reporter:
                throw APIError(.forbidden, "Forbidden", "only \(p.reporter), who reported problem \(id), may \(action.rawValue) it")
            default: break
            }
            let advanced: Problem
            do {
                advanced = try store.advanceProblem(id: id, action, by: ProblemActorName(principal: principal, department: holder == nil ? code : nil),
                                                    note: note, version: version)
            } catch let e as StoreError { throw APIError.from(e) }
            return (advanced, try document(advanced, sight, history: true, base: base), p.state)
        }
        try governance.auditNow(request, context, action: "problem", route: "/problems/{id}/\(action.rawValue)", layer: problem.layer,
                                area: Governance.box(problem.location?.bbox), rows: 1,
                                outcome: "200 problem \(id) \(from.rawValue) -> \(problem.state.rawValue)")
        return try JSONResponse.encode(doc)
    }

    // MARK: reading

    func one(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        _ = try actor(context)
        let id = try Self.id(context)
        let caller = context.caller, base = base(request), store = self.store, governance = self.governance
        let (p, doc) = try await blocking { () throws -> (Problem, ProblemDocument) in
            let sight = Sight(caller: caller, governance: governance, store: store)
            let p = try visible(id, sight)
            return (p, try document(p, sight, history: true, base: base))
        }
        governance.audit(request, context, route: "/problems/{id}", layer: p.layer, rows: 1)
        return try JSONResponse.encode(doc)
    }

    func attachment(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        _ = try actor(context)
        let id = try Self.id(context)
        let caller = context.caller, store = self.store, governance = self.governance
        let (p, file) = try await blocking { () throws -> (Problem, ProblemAttachment) in
            let p = try visible(id, Sight(caller: caller, governance: governance, store: store))
            guard let file = try store.problemAttachment(problem: id) else { throw APIError.notFound("problem \(id) has no attachment") }
            return (p, file)
        }
        governance.audit(request, context, route: "/problems/{id}/attachment", layer: p.layer, rows: 1)
        // Evidence is whatever a reporter sent: never rendered inline as a page of this origin.
        var response = ExportResponse.make(Data(file.bytes), mediaType: file.mediaType, filename: file.name)
        response.headers[.init("X-Content-Type-Options")!] = "nosniff"
        response.headers[.contentSecurityPolicy] = "sandbox"
        return response
    }

    func list(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let (me, holder) = try actor(context)
        var q = ProblemQuery()
        var department: String?, role: String?, limit = 100, offset = 0, geojson = false, areaCode: String?
        var seen: Set<String> = []
        for (k, v) in QueryItems.of(request) {
            let key = String(k)
            guard Self.listParameters.contains(key) else {
                throw APIError.badRequest("unknown query parameter '\(key)'; /problems accepts \(Self.listParameters.sorted().joined(separator: ", "))")
            }
            guard seen.insert(key).inserted else { throw APIError.badRequest("parameter '\(key)' is given twice") }
            switch key {
            case "layer":
                let ids = v.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                guard !ids.contains("") else { throw APIError.badRequest("layer '\(v)' must be layer ids separated by commas") }
                q.layers = Set(ids)
            case "state":
                for s in v.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let state = ProblemState(rawValue: String(s)) else {
                        throw APIError.badRequest("state '\(s)' is not one of \(ProblemState.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    q.states.insert(state)
                }
            case "priority":
                for s in v.split(separator: ",", omittingEmptySubsequences: false) {
                    guard let p = ProblemPriority(rawValue: String(s)) else {
                        throw APIError.badRequest("priority '\(s)' is not one of \(ProblemPriority.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    q.priorities.insert(p)
                }
            case "department":
                guard !v.isEmpty else { throw APIError.badRequest("department must be a department code") }
                department = v
            case "role":
                guard v == "owner" || v == "reporter" else { throw APIError.badRequest("role '\(v)' is not owner or reporter") }
                role = v
            case "bbox":
                do { q.bbox = try ItemsRequest.parseBBox(v, crs: .crs84) } catch { throw APIError.badRequest(error.description) }
            case "area":
                try AreaRoutes.check(v)
                areaCode = v
            case "from": q.filedFrom = try AreaRoutes.day(v)
            case "to": q.filedBefore = try AreaRoutes.day(v)
            case "overdue":
                guard v == "true" || v == "false" else { throw APIError.badRequest("overdue must be true or false") }
                if v == "true" { q.overdueOn = ISODate.string(Date()) }
            case "check":
                guard !v.isEmpty else { throw APIError.badRequest("check must name an automatic check") }
                q.check = v
            case "limit":
                guard let n = Int(v), (1...1000).contains(n) else { throw APIError.badRequest("limit '\(v)' must be 1 to 1000") }
                limit = n
            case "offset":
                guard let n = Int(v), n >= 0 else { throw APIError.badRequest("offset '\(v)' must be a non-negative integer") }
                offset = n
            default:
                guard v == "json" || v == "geojson" else { throw APIError.badRequest("f=\(v) is not offered; use json or geojson") }
                geojson = v == "geojson"
            }
        }
        // department=X: problems X owns or reported; with role, only that side (default: the caller).
        var eitherSide: String?
        if holder != nil {
            // A signed-in person's list is the problems they filed.
            guard department == nil, role == nil || role == "reporter" else {
                throw APIError.badRequest("a signed-in person lists the problems they filed: department and role=owner do not apply")
            }
            q.reporter = me
        } else {
            switch role {
            case "owner": q.owner = department ?? me
            case "reporter": q.reporter = department ?? me
            default: eitherSide = department
            }
        }
        let query = q, side = eitherSide, pageStart = offset, pageSize = limit, code = areaCode
        let caller = context.caller, base = base(request), store = self.store, governance = self.governance
        let (docs, matched) = try await blocking { () throws -> ([ProblemDocument], Int) in
            let sight = Sight(caller: caller, governance: governance, store: store)
            // area=CODE: problems located in the area's boundary in force today.
            var within: PreparedGeometry?
            if let code {
                var parts: [Geometry] = []
                try store.queryFeatures(FeatureQuery(layer: CoreLayers.adminAreas.id, time: .instant(ISODate.string(Date())),
                                                     equals: [PropertyEquals(field: "code", value: .string(code))])) { parts.append($0.geometry) }
                guard !parts.isEmpty else { throw APIError.notFound("no administrative area '\(code)' today") }
                let engine = GeometryEngine()
                within = try engine.prepare(parts.count == 1 ? parts[0] : (try engine.union(parts) ?? parts[0]))
            }
            let all = try store.problems(query).filter { p in
                if let side, p.owner != side, p.reporter != side { return false }
                if let within { guard let l = p.location, try within.intersects(l) else { return false } }
                return try sight.sees(p)
            }
            let page = all.dropFirst(pageStart).prefix(pageSize)
            return (try page.map { try document($0, sight, history: false, base: base) }, all.count)
        }
        governance.audit(request, context, route: "/problems", layer: q.layers?.sorted().joined(separator: ","), area: areaCode ?? Governance.box(q.bbox),
                         rows: docs.count)
        if geojson {
            return try JSONResponse.encode(ProblemFeatures(problems: docs, matched: matched), contentType: "application/geo+json")
        }
        return try JSONResponse.encode(ProblemList(problems: docs, numberMatched: matched, numberReturned: docs.count,
                                                   next: offset + docs.count < matched ? offset + docs.count : nil))
    }

    struct ProblemList: Encodable {
        let problems: [ProblemDocument]
        let numberMatched: Int
        let numberReturned: Int
        /// The offset of the next page; null on the last.
        let next: Int?
    }

    /// Problems as a GeoJSON layer (those with a location), for the viewer and GIS clients.
    struct ProblemFeatures: Encodable {
        struct Feature: Encodable {
            let type = "Feature"
            let id: Int64
            let geometry: GeometryJSON?
            let properties: Properties

            // GeoJSON requires the member: a problem without a location has `"geometry": null`
            // (a synthesized encoder would leave it out).
            func encode(to encoder: any Encoder) throws {
                var c = encoder.container(keyedBy: CodingKeys.self)
                try c.encode(type, forKey: .type)
                try c.encode(id, forKey: .id)
                try c.encode(geometry, forKey: .geometry)
                try c.encode(properties, forKey: .properties)
            }
            enum CodingKeys: String, CodingKey { case type, id, geometry, properties }
        }
        struct Properties: Encodable {
            let id: Int64, state: String, priority: String, layer: String, description: String, owner: String, reporter: String
            let overdue: Bool, deadline: String, check: String?
        }
        let type = "FeatureCollection"
        let features: [Feature]
        let numberMatched: Int
        let numberReturned: Int

        init(problems: [ProblemDocument], matched: Int) {
            features = problems.map { p in
                Feature(id: p.id, geometry: p.location, properties: Properties(
                    id: p.id, state: p.state, priority: p.priority, layer: p.target.layer, description: p.description, owner: p.owner,
                    reporter: p.reporter, overdue: p.overdue, deadline: p.deadline, check: p.check))
            }
            numberMatched = matched; numberReturned = problems.count
        }
    }

    /// `GET /problems/feed?since=N`: the steps taken on problems the caller may see, in order,
    /// after event N; `next` is the cursor of the following call.
    func feed(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let d = try department(context)
        var since: Int64 = 0, limit = 100, mine = false
        for (k, v) in QueryItems.of(request) {
            switch k {
            case "since":
                guard let n = Int64(v), n >= 0 else { throw APIError.badRequest("since '\(v)' is not an event number") }
                since = n
            case "limit":
                guard let n = Int(v), (1...1000).contains(n) else { throw APIError.badRequest("limit '\(v)' must be 1 to 1000") }
                limit = n
            case "concerning":
                guard v == "me" || v == "all" else { throw APIError.badRequest("concerning must be me or all") }
                mine = v == "me"
            default: throw APIError.badRequest("unknown query parameter '\(k)'; /problems/feed accepts since, limit and concerning")
            }
        }
        let caller = context.caller, store = self.store, governance = self.governance, after = since, wanted = limit, onlyMine = mine
        let (events, next) = try await blocking { () throws -> ([ProblemDocument.Event], Int64) in
            let sight = Sight(caller: caller, governance: governance, store: store)
            var out: [ProblemDocument.Event] = [], cursor = after, problems: [Int64: Bool] = [:]
            // Reads on until `wanted` visible events or 20 batches: the cursor moves past what the caller may not see.
            for _ in 0..<20 where out.count < wanted {
                let batch = try store.problemEvents(after: cursor, limit: 500)
                if batch.isEmpty { break }
                for e in batch {
                    cursor = e.id
                    let shown: Bool
                    if let known = problems[e.problemID] { shown = known } else {
                        let p = try store.problem(id: e.problemID)
                        shown = try p.map { p in try sight.sees(p) && (!onlyMine || p.owner == d.code || p.reporter == d.code) } ?? false
                        problems[e.problemID] = shown
                    }
                    if shown { out.append(ProblemDocument.Event(e)) }
                    if out.count == wanted { break }
                }
            }
            return (out, cursor)
        }
        governance.audit(request, context, route: "/problems/feed", rows: events.count)
        return try JSONResponse.encode(ProblemFeed(events: events, next: next))
    }

    struct ProblemFeed: Encodable {
        let events: [ProblemDocument.Event]
        /// Pass as `since` to read on.
        let next: Int64
    }

    // MARK: webhooks

    struct WebhookDocument: Encodable {
        let url: String
        /// Shown once, when the webhook is registered: deliveries carry its HMAC.
        let secret: String?
        let lastEvent: Int64
        let failures: Int
        let lastError: String?
        let updatedAt: String
    }

    /// `PUT /problems/webhook` {"url"}: the caller's department is pushed the events of problems it
    /// owns or reported, from now on.
    func setWebhook(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let d = try department(context)
        let json = try JSONBody.parse(try await JSONBody.read(request, upTo: 64 << 10), hint: "a webhook is {\"url\": \"https://…\"}")
        guard let body = json as? [String: Any], Set(body.keys) == ["url"], let text = body["url"] as? String, text.count <= 2000,
              let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""), !(url.host ?? "").isEmpty else {
            throw APIError.badRequest("a webhook is {\"url\": \"http(s)://host/path\"}: an http or https URL of at most 2,000 characters")
        }
        let secret = Digest.randomBytes(32).map { String(format: "%02x", $0) }.joined()
        let store = self.store
        let hook = try await blocking { () throws -> ProblemWebhook? in
            try store.setProblemWebhook(department: d.code, url: text, secret: secret)
            return try store.problemWebhooks().first { $0.department == d.code }
        }
        governance.audit(request, context, action: "change", route: "/problems/webhook", outcome: "201 webhook set")
        guard let hook else { throw APIError(.internalServerError, "ServerError", "the webhook was not stored") }
        return try JSONResponse.encode(WebhookDocument(url: hook.url, secret: secret, lastEvent: hook.lastEvent, failures: hook.failures,
                                                       lastError: hook.lastError, updatedAt: hook.updatedAt), status: .created)
    }

    func webhook(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let d = try department(context)
        let store = self.store
        guard let hook = try await blocking({ try store.problemWebhooks().first { $0.department == d.code } }) else {
            throw APIError.notFound("\(d.code) has no webhook; set one with PUT /problems/webhook")
        }
        return try JSONResponse.encode(WebhookDocument(url: hook.url, secret: nil, lastEvent: hook.lastEvent, failures: hook.failures,
                                                       lastError: hook.lastError, updatedAt: hook.updatedAt))
    }

    func removeWebhook(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let d = try department(context)
        let store = self.store
        guard try await blocking({ try store.removeProblemWebhook(department: d.code) }) else {
            throw APIError.notFound("\(d.code) has no webhook")
        }
        governance.audit(request, context, action: "change", route: "/problems/webhook", outcome: "204 webhook removed")
        return Response(status: .noContent)
    }
}
