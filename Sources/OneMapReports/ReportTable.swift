import Foundation
import OneMapQuery

/// One value of a table: text, a whole number, a measure, or nothing (a withheld figure).
public enum ReportCell: Sendable, Hashable {
    case text(String)
    case int(Int)
    case number(Double)
    case empty

    /// A count as `/stats` shows it: a number, "<5", or nothing (withheld).
    public init(_ c: PublishedCount) {
        switch c {
        case .count(let n): self = .int(n)
        case .below(let k): self = .text("<\(k)")
        case .withheld: self = .empty
        }
    }

    /// A sum as `/stats` shows it: a whole number, a measure, "<5", or nothing (hidden).
    public init(_ m: PublishedMeasure) {
        switch m {
        case .integer(let n): self = .int(n)
        case .decimal(let d): self = .number(d)
        case .below(let k): self = .text("<\(k)")
        case .hidden: self = .empty
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
