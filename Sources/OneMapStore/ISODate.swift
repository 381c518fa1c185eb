import Foundation

/// ISO 8601 calendar dates (`YYYY-MM-DD`) in UTC+8, the calendar Sanming's records use.
public enum ISODate {
    /// The day of `d` in UTC+8. Integer arithmetic (days since 1970 to a proleptic Gregorian
    /// date): every request asks for "today", and Calendar plus String(format:) cost more than a
    /// cached tile's whole answer.
    public static func string(_ d: Date) -> String {
        let days = Int(((d.timeIntervalSince1970 + 8 * 3600) / 86_400).rounded(.down))
        if let last = lastDayLock.withLock({ lastDay }), last.days == days { return last.text }
        let text = civil(days)
        lastDayLock.withLock { lastDay = (days, text) }
        return text
    }

    private static let lastDayLock = NSLock()
    nonisolated(unsafe) private static var lastDay: (days: Int, text: String)?  // guarded by lastDayLock

    /// `YYYY-MM-DD` of a day count since 1970-01-01 (Hinnant's civil-from-days).
    static func civil(_ days: Int) -> String {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }

    /// Noon (UTC+8) of a `YYYY-MM-DD` day, nil when it is not a valid date.
    public static func date(_ s: String) -> Date? {
        guard isValid(s) else { return nil }
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(secondsFromGMT: 8 * 3600)!
        let p = s.split(separator: "-").compactMap { Int($0) }
        return cal.date(from: DateComponents(year: p[0], month: p[1], day: p[2], hour: 12))
    }

    /// True for a well-formed `YYYY-MM-DD` date that exists in the calendar.
    public static func isValid(_ s: String) -> Bool {
        guard s.utf8.count == 10 else { return false }  // most text is not a date: no splitting
        let parts = s.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]), (1...12).contains(m), d >= 1 else { return false }
        let days = [31, (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return d <= days[m - 1]
    }
}
