import Foundation
import Hummingbird
import NIOCore
import OneMapQuery
import OneMapReports
import OneMapStore

/// `POST /stats` (an area as a code, GeoJSON polygon, circle or buffer) and `GET /stats?area=CODE`:
/// people, households, businesses and buildings in the area on a day, with breakdowns.
struct StatisticsRoutes: Sendable {
    let store: any FeatureStore
    /// Where figures come from: the in-memory engine while it is current, else the store.
    let statistics: any PublishedStatisticsProvider
    let governance: Governance
    /// Where statistics exports and the city's statistics run.
    let lane: HeavyLane

    /// A drawn polygon of 100,000 vertices is ~4 MB of GeoJSON.
    static let maxBody = 8 << 20

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/stats") { request, context in
            let parameters = QueryItems.of(request)
            let parsed: StatisticsRequest
            do { parsed = try StatisticsRequest.parse(parameters: parameters) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.answer(parsed, request, context)
        }
        router.get("/stats/timeseries") { request, context in try await self.timeseries(request, context) }
        router.get("/stats/timeseries/export") { request, context in try await self.timeseriesExport(request, context) }
        router.get("/stats/export") { request, context in
            let (format, rest) = try Self.exportFormat(QueryItems.of(request).map { (String($0.0), String($0.1)) })
            let parsed: StatisticsRequest
            do { parsed = try StatisticsRequest.parse(parameters: rest) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.export(parsed, format: format, request, context)
        }
        router.post("/stats/export") { request, context in
            let (format, rest) = try Self.exportFormat(QueryItems.of(request).map { (String($0.0), String($0.1)) })
            guard rest.isEmpty else { throw APIError.badRequest("POST /stats/export takes only format in the query; the request is the body") }
            let json = try JSONBody.parse(try await JSONBody.read(request, upTo: Self.maxBody),
                                          hint: "send {\"area\": ..., \"datetime\": ..., \"groupBy\": [...]}")
            let parsed: StatisticsRequest
            do { parsed = try StatisticsRequest.parse(json: json) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.export(parsed, format: format, request, context)
        }
        router.post("/stats") { request, context in
            let json = try JSONBody.parse(try await JSONBody.read(request, upTo: Self.maxBody),
                                          hint: "send {\"area\": ..., \"datetime\": ..., \"groupBy\": [...]}")
            let parsed: StatisticsRequest
            do { parsed = try StatisticsRequest.parse(json: json) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.answer(parsed, request, context)
        }
    }

    static let maxSteps = 60

    static func date(_ text: String?, name: String) throws -> Date {
        guard let text else { throw APIError.badRequest("parameter '\(name)' (a date) is required") }
        let day: String
        do { day = try OneDay.parse(text, name: name) } catch { throw APIError.badRequest(error.description) }
        guard let date = ISODate.date(day) else { throw APIError.badRequest("\(name) '\(text)' is not a date") }
        return date
    }

    /// `GET /stats/timeseries?area=CODE&from=&to=[&step=year|month]`: the totals on each step's
    /// first day from `from` to `to` (at most 60 steps).
    func timeseries(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        try JSONResponse.encode(try await timeseriesDocument(QueryItems.of(request).map { (String($0.0), String($0.1)) }, request, context))
    }

    /// `GET /stats/timeseries/export?…&format=csv|xlsx|json`: the series as a file, one row per step.
    func timeseriesExport(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let (format, rest) = try Self.exportFormat(QueryItems.of(request).map { (String($0.0), String($0.1)) })
        let doc = try await timeseriesDocument(rest, request, context, route: "/stats/timeseries/export")
        let code = doc.area.code, name = doc.area.name
        let data: Data
        do { data = try StatisticsExport.timeseries(doc, format: format, title: "\(name) (\(code))") } catch { throw APIError.badRequest("\(error)") }
        return ExportResponse.make(data, format: format, filename: "timeseries-\(code)")
    }

    func timeseriesDocument(_ parameters: [(String, String)], _ request: Request, _ context: OneMapRequestContext,
                            route: String = "/stats/timeseries") async throws -> TimeseriesAnswer {
        var v: [String: String] = [:]
        for (k, value) in parameters {
            guard ["area", "from", "to", "step"].contains(k) else {
                throw APIError.badRequest("unknown query parameter '\(k)'; \(route) accepts area, from, to and step\(route.hasSuffix("export") ? " and format" : "")")
            }
            v[k] = value
        }
        guard let code = v["area"] else { throw APIError.badRequest("parameter 'area' (an administrative code) is required") }
        try AreaRoutes.check(code)
        let from = try Self.date(v["from"], name: "from"), to = try Self.date(v["to"], name: "to")
        guard from <= to else { throw APIError.badRequest("'from' must not be after 'to'") }
        let step = v["step"] ?? "year"
        guard step == "year" || step == "month" else { throw APIError.badRequest("step '\(step)' must be year or month") }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        var days: [String] = []
        var d = from
        while d <= to {
            days.append(ISODate.string(d))
            guard days.count <= Self.maxSteps else {
                throw APIError.badRequest("from \(ISODate.string(from)) to \(ISODate.string(to)) by \(step) is more than \(Self.maxSteps) steps")
            }
            d = calendar.date(byAdding: step == "year" ? .year : .month, value: 1, to: d)!
        }
        let steps = days
        let caller = context.caller
        let (disclosure, grants) = try await disclosureReady(caller, .code(code))
        let series = try await blocking { try statistics.publishedTotals(code: code, on: steps, disclosure: disclosure) }
        let points = zip(days, series).map { day, s in
            s.map { TimeseriesAnswer.Point($0, day: day, disclosure: disclosure) } ?? TimeseriesAnswer.Point(missing: day)
        }
        governance.audit(request, context, action: route.hasSuffix("export") ? "export" : "read", route: route, layer: "population,businesses,buildings", grants: grants,
                         area: code, datetime: "\(days.first!)/\(days.last!)", rows: days.count)
        guard let name = series.compactMap({ $0?.name }).first else {
            throw APIError.notFound("no administrative area '\(code)' between \(days.first!) and \(days.last!)")
        }
        return TimeseriesAnswer(area: .init(code: code, name: name), step: step, series: points, suppression: StatisticsDocument.describe(disclosure),
                                rule: "totals on each step's first day; the area's boundary of that day (a step when it did not exist has exists: false)")
    }

    func answer(_ request: StatisticsRequest, _ http: Request, _ context: OneMapRequestContext) async throws -> Response {
        let caller = context.caller
        // The whole city (or a drawn area as large as a county) is long work when SQL answers it:
        // then in the heavy lane.
        let heavy = Self.isLarge(request.area) && !statistics.answersFromMemory
        let (disclosure, grants) = try await disclosureReady(caller, request.area)
        let stats = try await run(heavy: heavy) { () throws -> AreaStatistics? in
            try statistics.publishedStatistics(request.area, on: request.day, groupBy: request.groupBy, disclosure: disclosure)
        }
        governance.audit(http, context, route: "/stats", layer: "population,businesses,buildings", grants: grants,
                         area: Self.auditArea(request.area), datetime: request.day, rows: stats == nil ? 0 : 1, outcome: stats == nil ? "404" : "200")
        guard let stats else {
            if case .code(let code) = request.area { throw APIError.notFound("no administrative area '\(code)' on \(request.day)") }
            throw APIError.notFound("no such area")
        }
        return try JSONResponse.encode(StatisticsDocument.make(stats, request: request, disclosure: disclosure))
    }

    /// How the caller may see the area's figures, once they can be computed at once: a protected
    /// question waits for a rebuilding engine here, holding no thread.
    func disclosureReady(_ caller: Caller, _ area: StatisticsArea) async throws -> (StatisticsDisclosure, [ShareApplication]) {
        let (d, g) = try await blocking { try governance.disclosure(for: caller, area: area) }
        try await statistics.ready(for: d)
        return (d, g)
    }

    /// Blocking work in the heavy lane or on the shared pool.
    func run<T: Sendable>(heavy: Bool, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        heavy ? try await lane.run("statistics of a large area", body) : try await blocking(body)
    }

    /// A city or province (a 6-digit code ending in 00: counties end in 01-99) or a drawn area
    /// whose box covers more than a quarter of a square degree (a county and more).
    static func isLarge(_ area: StatisticsArea) -> Bool {
        switch area {
        case .code(let code): code.count == 6 && code.hasSuffix("00")
        case .geometry(let g): (g.bbox.map { $0.width * $0.height } ?? 0) > 0.25
        }
    }

    /// An area for the audit: its code, or a drawn geometry's box (never the whole polygon).
    static func auditArea(_ area: StatisticsArea) -> String {
        switch area {
        case .code(let code): code
        case .geometry(let g): Governance.box(g.bbox) ?? "geometry"
        }
    }
}
