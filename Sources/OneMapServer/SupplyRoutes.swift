import Foundation
import Hummingbird
import NIOCore
import OneMapAccess
import OneMapQuality
import OneMapReports
import OneMapStore

/// Supply and freshness (clauses 5, 11, 20: 应汇聚未汇聚, 谁主管谁提供谁负责): owners declare how
/// often they update a layer; `GET /supply` reports, per department and layer, records, updates
/// against the promise, completeness and the correction loop's figures, for a month or up to now,
/// as JSON, the PDF 通报 or XLSX. For departments only; record counts follow the caller's right to
/// count each layer exactly.
struct SupplyRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore & ProblemStore
    let governance: Governance
    let lane: HeavyLane

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/supply") { request, context in try await self.report(request, context) }
        router.get("/supply/promises") { request, context in try await self.promises(request, context) }
        router.put("/supply/promises/:layer") { request, context in try await self.promise(request, context, withdraw: false) }
        router.delete("/supply/promises/:layer") { request, context in try await self.promise(request, context, withdraw: true) }
    }

    private func department(_ context: OneMapRequestContext) throws -> Department {
        guard let d = context.caller.principal.department else {
            throw APIError(.unauthorized, "Unauthorized", "supply reports are for departments: send an API key (Authorization: Bearer om_…)",
                           headers: [.wwwAuthenticate: "Bearer"])
        }
        return d
    }

    func report(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        _ = try department(context)
        var period = SupplyPeriod.current()
        var format = SupplyReportDocuments.Format.json
        for (k, v) in QueryItems.of(request) {
            switch k {
            case "month":
                do { period = try SupplyPeriod.month(v) } catch let e as StoreError { throw APIError.badRequest(e.message) }
                guard period.firstDay <= ISODate.string(Date()) else { throw APIError.badRequest("month \(v) has not begun") }
            case "f":
                guard let f = SupplyReportDocuments.Format(rawValue: v) else { throw APIError.badRequest("f=\(v) is not offered; use json, pdf or xlsx") }
                format = f
            default: throw APIError.badRequest("unknown query parameter '\(k)'; /supply accepts month and f")
            }
        }
        let caller = context.caller, store = self.store, governance = self.governance, chosen = period, wanted = format
        let data = try await lane.run("a supply report") { () throws -> Data in
            let report: SupplyReport
            do {
                report = try SupplyReport.make(store: store, period: chosen) { layer in
                    try governance.policy.countsExactly(layer.id, caller.principal)
                }
            } catch let e as StoreError { throw APIError.from(e) }
            return try SupplyReportDocuments.data(report, format: wanted)
        }
        governance.audit(request, context, action: "export", route: "/supply", datetime: period.label, rows: 1)
        if format == .json { return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data))) }
        return ExportResponse.make(data, mediaType: format.mediaType, filename: "supply-\(period.label).\(format.rawValue)", inline: format == .pdf)
    }

    struct PromiseDocument: Encodable {
        let layer: String
        let everyDays: Int
        let declaredBy: String
        let declaredAt: String
    }

    func promises(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        _ = try department(context)
        let store = self.store
        let list = try await blocking { try store.supplyPromises() }
        return try JSONResponse.encode(["promises": list.map { PromiseDocument(layer: $0.layer, everyDays: $0.everyDays, declaredBy: $0.declaredBy,
                                                                                declaredAt: $0.declaredAt) }])
    }

    /// `PUT /supply/promises/{layer}` {"everyDays": N} (or DELETE): the layer's owner declares how
    /// often it updates it.
    func promise(_ request: Request, _ context: OneMapRequestContext, withdraw: Bool) async throws -> Response {
        try FeatureRoutes.checkOnly(request, allowed: [])
        let d = try department(context)
        let id = context.parameters.get("layer") ?? ""
        var days: Int?
        if !withdraw {
            let json = try JSONBody.parse(try await JSONBody.read(request, upTo: 64 << 10), hint: "a promise is {\"everyDays\": 30}")
            // Booleans arrive as a subclass of NSNumber: only a plain number is a count of days.
            guard let body = json as? [String: Any], Set(body.keys) == ["everyDays"], let number = body["everyDays"] as? NSNumber,
                  type(of: number) == NSNumber.self, let n = Int(exactly: number.doubleValue), (1...3660).contains(n) else {
                throw APIError.badRequest("a promise is {\"everyDays\": N}, N from 1 to 3660 days between updates")
            }
            days = n
        }
        let store = self.store, principal = context.caller.principal.auditName, promised = days
        try await blocking { () throws in
            guard let layer = try store.layer(id: id) else { throw APIError.notFound("no layer '\(id)'; see /catalog") }
            guard layer.ownerDepartment == d.code || d.role == .administrator else {
                throw APIError(.forbidden, "Forbidden", "only \(layer.ownerDepartment), the owner of '\(id)', declares how often it is updated")
            }
            do { try store.setSupplyPromise(layer: id, everyDays: promised, by: principal) } catch let e as StoreError { throw APIError.from(e) }
        }
        governance.audit(request, context, action: "change", route: "/supply/promises/{layer}", layer: id,
                         outcome: promised.map { "200 promised every \($0) days" } ?? "204 promise withdrawn")
        if promised == nil { return Response(status: .noContent) }
        return try await promises(request, context)
    }
}
