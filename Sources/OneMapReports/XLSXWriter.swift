import Foundation

/// An Office Open XML workbook (ECMA-376, SpreadsheetML): one sheet per table, the header row bold
/// and frozen, numbers as numbers, text (Chinese included) as inline strings. Excel, LibreOffice
/// and WPS open it.
public enum XLSXWriter {
    public static let mediaType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    /// Excel's limits: rows per sheet and characters per cell.
    public static let maxRows = 1_048_576, maxCellText = 32_767

    public enum XLSXError: Error, CustomStringConvertible {
        case tooManyRows(String, Int)
        public var description: String {
            switch self {
            case .tooManyRows(let sheet, let n): "table '\(sheet)' has \(n) rows; a spreadsheet holds at most \(maxRows - 1) below its header (use CSV or GeoPackage)"
            }
        }
    }

    public static func data(_ tables: [ReportTable], title: String, creator: String = "OneMap 三明市一张图", date: Date = Date()) throws -> Data {
        let (sink, bytes) = ExportSink.memory()
        let book = try XLSXStream(sink: sink, sheets: tables.map(\.name), title: title, creator: creator, date: date, streamed: false)
        for table in tables {
            try book.beginSheet(columns: table.columns)
            for row in table.rows { try book.addRow(row) }
            try book.endSheet()
        }
        try book.finish()
        return Data(try bytes())
    }

    /// `A`, `B`, ..., `Z`, `AA`, ...
    static func columnName(_ index: Int) -> String {
        var n = index + 1, name = ""
        while n > 0 {
            let r = (n - 1) % 26
            name = String(UnicodeScalar(UInt8(65 + r))) + name
            n = (n - 1) / 26
        }
        return name
    }

    /// Sheet names as Excel allows them: at most 31 characters, none of `[]:*?/\`, unique.
    static func sheetNames(_ names: [String]) -> [String] {
        var used = Set<String>(), out: [String] = []
        for (i, raw) in names.enumerated() {
            var n = String(raw.map { "[]:*?/\\".contains($0) ? "_" : $0 }).trimmingCharacters(in: CharacterSet(charactersIn: "' "))
            if n.isEmpty { n = "Sheet\(i + 1)" }
            n = String(n.prefix(31))
            var candidate = n, k = 2
            while used.contains(candidate.lowercased()) {
                let suffix = " (\(k))"
                candidate = String(n.prefix(31 - suffix.count)) + suffix
                k += 1
            }
            used.insert(candidate.lowercased())
            out.append(candidate)
        }
        return out
    }

    static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { $0 + ($1.value >= 0x2E80 ? 2 : 1) }
    }

    /// XML text: the five entities escaped; characters XML 1.0 forbids dropped.
    static func escape(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\t", "\n", "\r": out.unicodeScalars.append(u)
            case _ where u.value < 0x20 || u.value == 0xFFFE || u.value == 0xFFFF: continue
            default: out.unicodeScalars.append(u)
            }
        }
        return out
    }
}
