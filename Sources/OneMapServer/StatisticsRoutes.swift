import Foundation
import Hummingbird
import NIOCore
import OneMapQuery
import OneMapStore

/// `POST /stats` (an area as a code, GeoJSON polygon, circle or buffer) and `GET /stats?area=CODE`:
/// people, households, businesses and buildings in the area on a day, with breakdowns.
struct StatisticsRoutes: Sendable {
    let store: any FeatureStore

    /// A drawn polygon of 100,000 vertices is ~4 MB of GeoJSON.
    static let maxBody = 8 << 20

    func register(on router: Router<BasicRequestContext>) {
        router.get("/stats") { request, _ in
            let parameters = QueryItems.of(request)
            let parsed: StatisticsRequest
            do { parsed = try StatisticsRequest.parse(parameters: parameters) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.answer(parsed)
        }
        router.get("/stats/timeseries") { request, _ in try await self.timeseries(request) }
        router.post("/stats") { request, _ in
            let buffer: ByteBuffer
            do { buffer = try await request.body.collect(upTo: Self.maxBody) } catch {
                throw APIError(.contentTooLarge, "PayloadTooLarge", "the request body is over \(Self.maxBody >> 20) MB")
            }
            guard let json = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) else {
                throw APIError.badRequest("the body is not JSON; send {\"area\": ..., \"datetime\": ..., \"groupBy\": [...]}")
            }
            let parsed: StatisticsRequest
            do { parsed = try StatisticsRequest.parse(json: json) } catch let e as QueryError { throw APIError.badRequest(e.description) }
            return try await self.answer(parsed)
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
    func timeseries(_ request: Request) async throws -> Response {
        var v: [String: String] = [:]
        for (k, value) in QueryItems.of(request) {
            guard ["area", "from", "to", "step"].contains(String(k)) else {
                throw APIError.badRequest("unknown query parameter '\(k)'; /stats/timeseries accepts area, from, to and step")
            }
            v[String(k)] = String(value)
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
        let series = try await blocking { () throws -> [AreaStatistics?] in
            try steps.map { try store.areaStatistics(.code(code), on: $0, groupBy: []) }
        }
        let k = StatisticsDocument.defaultK
        func people(_ n: Int) -> Any { n > 0 && n < k ? "<\(k)" : n }
        let points: [[String: Any]] = zip(days, series).map { day, s in
            guard let s else { return ["datetime": day, "exists": false] }
            return ["datetime": day, "exists": true, "population": people(s.people), "households": people(s.households),
                    "businesses": s.businesses, "employees": s.employees, "buildings": s.buildings, "floorArea": (s.floorArea * 10).rounded() / 10]
        }
        guard let name = series.compactMap({ $0?.name }).first else {
            throw APIError.notFound("no administrative area '\(code)' between \(days.first!) and \(days.last!)")
        }
        return JSONResponse.make(["area": ["code": code, "name": name], "step": step, "series": points,
                                  "rule": "totals on each step's first day; the area's boundary of that day (a step when it did not exist has exists: false)"])
    }

    func answer(_ request: StatisticsRequest) async throws -> Response {
        let stats = try await blocking { () throws -> AreaStatistics? in
            do { return try store.areaStatistics(request.area, on: request.day, groupBy: request.groupBy) } catch let e as StoreError {
                throw APIError.badRequest(e.message)
            }
        }
        guard let stats else {
            if case .code(let code) = request.area { throw APIError.notFound("no administrative area '\(code)' on \(request.day)") }
            throw APIError.notFound("no such area")
        }
        return JSONResponse.make(StatisticsDocument.make(stats, request: request))
    }
}
