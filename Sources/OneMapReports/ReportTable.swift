import Foundation

/// One value of a table: text, a whole number, a measure, or nothing (a withheld figure).
public enum ReportCell: Sendable, Hashable {
    case text(String)
    case int(Int)
    case number(Double)
    case empty

    /// A figure as `/stats` shows it (`StatisticsDocument.figure`): a count, "<5", or null.
    public init(figure: Any?) {
        switch figure {
        case let n as Int: self = .int(n)
        case let d as Double: self = .number(d)
        case let s as String: self = .text(s)
        default: self = .empty
        }
    }

    /// The cell as text (CSV, HTML, PDF): numbers in full, without grouping.
    public var text: String {
        switch self {
        case .text(let s): s
        case .int(let n): String(n)
        case .number(let d): ReportCell.format(d)
        case .empty: ""
        }
    }

    /// Shortest decimal text of a measure (no exponent for the magnitudes reports hold).
    static func format(_ d: Double) -> String {
        guard d.isFinite else { return "" }
        if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
        var s = String(format: "%.6f", d)
        while s.hasSuffix("0") { s.removeLast() }
        if s.hasSuffix(".") { s.removeLast() }
        return s
    }

    /// The whole number, if the cell holds one.
    public var intValue: Int? { if case .int(let n) = self { n } else { nil } }
}

/// A table of an export or report: a name (a sheet in XLSX), column headers and rows.
public struct ReportTable: Sendable, Equatable {
    public var name: String
    public var columns: [String]
    public var rows: [[ReportCell]]

    public init(name: String, columns: [String], rows: [[ReportCell]] = []) {
        self.name = name; self.columns = columns; self.rows = rows
    }
}
