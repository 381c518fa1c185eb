import Foundation
import Hummingbird
import OneMapAccess
import OneMapQuery
import OneMapReports
import OneMapStore

/// `GET /reports/area?area=CODE|GeoJSON&datetime=&compare=&format=pdf|html|xlsx|json` and
/// `POST /reports/area` (a drawn area, as `/stats` takes it): an area report for decision staff,
/// built from the caller's `/stats` and map, audited before it is written (it cites its record).
struct ReportRoutes: Sendable {
    let store: any FeatureStore & GovernanceStore
    let statistics: any PublishedStatisticsProvider
    let governance: Governance
    let lane: HeavyLane
    let stylesDirectory: String

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/reports/area") { request, context in
            let parsed: AreaReportRequest
            do { parsed = try AreaReportRequest.parse(parameters: QueryItems.of(request).map { (String($0.0), String($0.1)) }) } catch let e as QueryError {
                throw APIError.badRequest(e.description)
            }
            return try await self.report(parsed, request, context)
        }
        router.post("/reports/area") { request, context in
            let json = try JSONBody.parse(try await JSONBody.read(request, upTo: StatisticsRoutes.maxBody),
                                          hint: "send {\"area\": ..., \"datetime\": ..., \"compare\": ..., \"format\": \"pdf\"}")
            var body = json as? [String: Any] ?? [:]
            for (k, v) in QueryItems.of(request) {
                guard k == "format" else { throw APIError.badRequest("POST /reports/area takes only format in the query; the request is the body") }
                body["format"] = String(v)
            }
            let parsed: AreaReportRequest
            do { parsed = try AreaReportRequest.parse(json: body) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.report(parsed, request, context)
        }
    }

    func report(_ parsed: AreaReportRequest, _ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let caller = context.caller
        let (store, statistics, governance, styles) = (self.store, self.statistics, self.governance, stylesDirectory)
        let area = StatisticsRoutes.auditArea(parsed.statistics.area)
        let datetime = parsed.compare.map { "\(parsed.statistics.day) vs \($0)" } ?? parsed.statistics.day
        let result = try await lane.run("a report") { () throws -> (Data, String)? in
            let (disclosure, grants) = try governance.disclosure(for: caller, area: parsed.statistics.area)
            let departments = Dictionary(try store.departments().map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            let views = try MapRoutes.mapViews(store: store, governance: governance, caller: caller)
            let gathered: AreaReportData?
            do {
                gathered = try AreaReportData.gather(parsed, store: store, statistics: statistics, departments: departments, disclosure: disclosure,
                                                     mapViews: views, mapSize: parsed.format.mapSize)
            } catch let e as StoreError { throw APIError.from(e) }
            guard let gathered else {
                governance.audit(request, context, action: "export", route: "/reports/area", layer: "population,businesses,buildings",
                                 grants: grants, area: area, datetime: datetime, rows: 0, outcome: "404")
                return nil
            }
            // The record is written first: the report prints its number.
            let id = try governance.auditNow(request, context, action: "export", route: "/reports/area",
                                             layer: "admin_areas,buildings,population,businesses", grants: grants, area: area,
                                             datetime: datetime, rows: 1)
            let report = gathered.compose(generatedBy: caller.principal.auditName, generatedAt: AuditTrail.now(), auditID: id)
            let name = "report-\(report.areaCode ?? "area")-\(report.day)"
            return (try ReportDocuments.data(report, format: parsed.format, style: MapStyle.load(stylesDirectory: styles)), name)
        }
        guard let (data, name) = result else {
            if case .code(let code) = parsed.statistics.area { throw APIError.notFound("no administrative area '\(code)' on \(parsed.statistics.day)") }
            throw APIError.notFound("no such area")
        }
        return ExportResponse.make(data, mediaType: parsed.format.mediaType, filename: "\(name).\(parsed.format.rawValue)",
                                   inline: parsed.format == .html || parsed.format == .pdf)
    }
}
