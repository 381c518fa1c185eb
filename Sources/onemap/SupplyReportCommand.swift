import ArgumentParser
import Foundation
import OneMapAccess
import OneMapQuality
import OneMapReports
import OneMapStore

/// `onemap report supply --month 2026-11 --out x.pdf|.xlsx|.json`: the monthly 通报 of what each
/// department supplied, as `GET /supply?month=` answers it (the data centre's view by default).
struct SupplyReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "supply", abstract: "Write the monthly supply and freshness report (PDF in Chinese, XLSX or JSON): departments ranked by each measure.")

    @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
    @Option(help: "The month, YYYY-MM (default: this month up to now).") var month: String?
    @Option(help: "Output file; its extension (.pdf, .xlsx, .json) is the format.") var out: String
    @Option(help: "Record counts as this department may see them (default: the data centre's view, all exact).") var department: String?

    func run() throws {
        let ext = (out as NSString).pathExtension.lowercased()
        guard let format = SupplyReportDocuments.Format(rawValue: ext) else {
            throw ValidationError("--out must end in .pdf, .xlsx or .json (got '\(out)')")
        }
        let period: SupplyPeriod
        do { period = try month.map(SupplyPeriod.month) ?? SupplyPeriod.current() } catch let e as StoreError { throw ValidationError(e.message) }
        let store = try openStore(db)
        let viewer: Principal? = try department.map { try cliViewer(store, department: $0) }
        let policy = AccessPolicy(store: store)
        let report = try SupplyReport.make(store: store, period: period) { layer in
            guard let viewer else { return true }
            return try policy.countsExactly(layer.id, viewer)
        }
        try writeAtomically(try SupplyReportDocuments.data(report, format: format), to: out)
        try auditCLI(store, action: "export", endpoint: "onemap report supply", outcome: "\(period.label) -> \((out as NSString).lastPathComponent)")
        print("supply report \(period.label): \(report.departments.count) departments ranked -> \(out)")
        for d in report.departments.prefix(20) {
            print("  \(d.rank). \(d.code) \(d.name): late layers \(d.lateLayers), overdue problems \(d.problems.overdue), completeness \(d.completeness.map { String(format: "%.1f%%", $0 * 100) } ?? "—")")
        }
    }
}
