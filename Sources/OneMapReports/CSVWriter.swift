import Foundation

/// CSV as Excel and LibreOffice open Chinese text without asking: UTF-8 with a byte order mark,
/// CRLF line ends, RFC 4180 quoting.
public enum CSVWriter {
    public static let bom: [UInt8] = [0xEF, 0xBB, 0xBF]

    /// One table (header row first).
    public static func data(_ table: ReportTable) -> Data {
        var out = String()
        out.reserveCapacity(64 * (table.rows.count + 1))
        appendRow(table.columns, into: &out)
        for row in table.rows { appendRow(row.map(\.text), into: &out) }
        return Data(bom) + Data(out.utf8)
    }

    public static func appendRow(_ fields: [String], into out: inout String) {
        for (i, f) in fields.enumerated() {
            if i > 0 { out += "," }
            out += quoted(f)
        }
        out += "\r\n"
    }

    /// A field quoted when it must be: separators, quotes, line breaks, or leading spaces.
    /// Text starting with `=`, `+`, `-` or `@` that is not a number gets a leading apostrophe so a
    /// spreadsheet does not run it as a formula (CSV injection).
    public static func quoted(_ field: String) -> String {
        var f = field
        if let c = f.first, "=+-@".contains(c), Double(f) == nil { f = "'" + f }
        guard f.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || f.hasPrefix(" ") || f.hasSuffix(" ") else { return f }
        return "\"" + f.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
