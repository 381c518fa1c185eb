import Foundation
import Hummingbird
import OneMapQuery
import OneMapStore

/// `GET /areas/{code}[?datetime=]`: an administrative area on a day, its figures, and its children
/// (city → counties → townships → villages → grids) with theirs, from one statistics pass grouped
/// by the children's level.
struct AreaRoutes: Sendable {
    let store: any FeatureStore
    let statistics: any PublishedStatisticsProvider
    let governance: Governance
    let fallbackBaseURL: String

    func register(on router: RecordingRouter<OneMapRequestContext>) {
        router.get("/areas/:code") { request, context in try await self.area(request, context) }
    }

    struct Found: Sendable {
        let area: AdminAreaSummary
        let parent: AdminAreaSummary?
        let children: [AdminAreaSummary]
        let stats: AreaStatistics
    }

    static func day(_ text: String) throws -> String {
        do { return try OneDay.parse(text) } catch { throw APIError.badRequest(error.description) }
    }

    static func check(_ code: String) throws {
        do { _ = try StatisticsRequest.checkedCode(code) } catch { throw APIError.badRequest(error.description) }
    }

    static func childLevel(_ level: AdminLevel) -> AdminLevel? {
        switch level {
        case .city: .county
        case .county: .township
        case .township: .village
        case .village: .grid
        case .grid: nil
        }
    }

    func area(_ request: Request, _ context: OneMapRequestContext) async throws -> Response {
        let base = BaseURL.of(request, fallback: fallbackBaseURL)
        let code = context.parameters.get("code") ?? ""
        var asked = ISODate.string(Date())
        for (k, v) in QueryItems.of(request) {
            guard k == "datetime" else { throw APIError.badRequest("unknown query parameter '\(k)'; /areas/{code} accepts datetime") }
            asked = try Self.day(String(v))
        }
        let day = asked
        try Self.check(code)
        let caller = context.caller
        let (disclosure, grants) = try await blocking { try governance.disclosure(for: caller, area: .code(code)) }
        try await statistics.ready(for: disclosure)
        let found = try await blocking { [statistics] () throws -> Found? in
            let areas = try store.adminAreas(level: nil, asOf: day)
            guard let area = areas.first(where: { $0.code == code }) else { return nil }
            let children = areas.filter { $0.parentCode == code }.sorted { $0.code < $1.code }
            let level = Self.childLevel(area.level).flatMap { StatisticsDimension(rawValue: $0.rawValue) }
            guard let stats = try statistics.publishedStatistics(.code(code), on: day, groupBy: level.map { [$0] } ?? [], disclosure: disclosure) else {
                return nil
            }
            return Found(area: area, parent: areas.first { $0.code == area.parentCode }, children: children, stats: stats)
        }
        governance.audit(request, context, route: "/areas/{code}", layer: "population,businesses,buildings", grants: grants,
                         area: code, datetime: day, rows: found == nil ? 0 : 1 + found!.children.count, outcome: found == nil ? "404" : "200")
        guard let found else { throw APIError.notFound("no administrative area '\(code)' on \(day)") }
        let level = Self.childLevel(found.area.level).flatMap { StatisticsDimension(rawValue: $0.rawValue) }
        return try JSONResponse.encode(AreaDocument(
            area: found.area, parent: found.parent, children: found.children, stats: found.stats, childLevel: level, day: day,
            disclosure: disclosure, base: base, selfLink: "\(base)/areas/\(code)\(day == ISODate.string(Date()) ? "" : "?datetime=\(day)")"))
    }
}
