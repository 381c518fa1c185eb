import ArgumentParser
import Foundation
import OneMapAccess
import OneMapAnalytics
import OneMapQuery
import OneMapReports
import OneMapStore

/// `onemap report [area] …` and `onemap report supply …`.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Write an area report, or the monthly supply and freshness report.",
        subcommands: [AreaReportCommand.self, SupplyReportCommand.self], defaultSubcommand: AreaReportCommand.self)
}

/// `onemap report [area]`: what `GET /reports/area` answers, written to a file for the named
/// department (default: the public view); audited first, as the report cites its record.
struct AreaReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "area", abstract: "Write an area report (PDF, HTML, XLSX or JSON): map, key figures, tables, change, provenance.")

    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
    @Option(help: "Administrative code of the area.") var area: String
    @Option(help: "Day of the figures (YYYY-MM-DD), default today.") var datetime: String?
    @Option(help: "Day to compare with (YYYY-MM-DD).") var compare: String?
    @Option(help: "Output file; its extension (.pdf, .html, .xlsx, .json) is the format.") var out: String
    @Option(help: "Report what this department may see (default: the public view).") var department: String?
    @Option(help: "Folder of the MapLibre style whose colours the map uses.") var styles = "styles"

    func run() throws {
        let start = Date()
        let store = try openStore(db)
        let principal = try cliViewer(store, department: department)
        var parameters = [("area", area), ("format", (out as NSString).pathExtension.lowercased())]
        if let datetime { parameters.append(("datetime", datetime)) }
        if let compare { parameters.append(("compare", compare)) }
        let request: AreaReportRequest
        do { request = try AreaReportRequest.parse(parameters: parameters) } catch { throw ValidationError(error.description + " (the format is --out's extension)") }
        let policy = AccessPolicy(store: store)
        let disclosure: StatisticsDisclosure
        do { disclosure = try policy.disclosure(for: principal, area: request.statistics.area).0 } catch let e as AccessDenied { throw ValidationError(e.message) }
        var views: [String: LayerView] = [:]
        for id in MapScene.sourceLayers {
            guard let layer = try store.layer(id: id), try policy.canRead(layer, principal) else { continue }
            views[id] = try? policy.view(of: layer, for: principal).view
        }
        let departments = Dictionary(try store.departments().map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        guard let data = try AreaReportData.gather(request, store: store, statistics: StatisticsService(store: store), departments: departments,
                                                   disclosure: disclosure,
                                                   mapViews: views, mapSize: request.format.mapSize) else {
            throw ValidationError("no administrative area '\(area)' on \(request.statistics.day)")
        }
        let by = cliPrincipal() + (department.map { " for \($0)" } ?? " (public view)")
        let id = try store.appendAudit([AuditRecord(at: AuditTrail.now(), principal: cliPrincipal(), action: "export", endpoint: "onemap report",
                                                    layer: "admin_areas,buildings,population,businesses", purpose: department.map { "view of \($0)" },
                                                    area: area, datetime: request.compare.map { "\(request.statistics.day) vs \($0)" } ?? request.statistics.day,
                                                    rows: 1, outcome: "wrote \(out)")]).last ?? 0
        let report = data.compose(generatedBy: by, generatedAt: AuditTrail.now(), auditID: id)
        let bytes = try ReportDocuments.data(report, format: request.format, style: MapStyle.load(stylesDirectory: styles))
        StageTimer.mark("report: \(request.format.rawValue) written")
        try writeAtomically(bytes, to: out)
        print(String(format: "wrote the report of %@ (%@) as of %@ to %@ (%.1f KiB, audit record #%lld) in %.2f s", report.areaLabel, area,
                     report.day, out, Double(bytes.count) / 1024, id, Date().timeIntervalSince(start)))
    }
}
