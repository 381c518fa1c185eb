import Foundation

/// How reports print figures: thousands grouped, changes signed, measures to one decimal.
enum ReportNumbers {
    static func grouped(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, ch) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out += "," }
            out.append(ch)
        }
        return (n < 0 ? "-" : "") + out
    }

    static func grouped(_ d: Double, decimals: Int = 1) -> String {
        let text = String(format: "%.\(decimals)f", d.magnitude)
        let parts = text.split(separator: ".")
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        while fraction.hasSuffix("0") { fraction.removeLast() }
        let whole = grouped(Int(parts[0]) ?? 0)
        let zero = whole == "0" && fraction.isEmpty
        return (d < 0 && !zero ? "-" : "") + whole + (fraction.isEmpty ? "" : "." + fraction)
    }

    /// A cell for print; `signed`: a change (+/-).
    static func text(_ cell: ReportCell, signed: Bool = false) -> String {
        switch cell {
        case .int(let n): return (signed && n > 0 ? "+" : "") + grouped(n)
        case .number(let d): return (signed && d > 0 ? "+" : "") + grouped(d)
        case .text(let s): return s
        case .empty: return "—"
        }
    }

    static func isNumeric(_ cell: ReportCell) -> Bool {
        switch cell {
        case .int, .number: true
        case .text(let s): s.hasPrefix("<")
        case .empty: true
        }
    }
}
