import Foundation

/// The `datetime` of a request: an instant or an interval, reduced to calendar days in Sanming's
/// time zone (UTC+8), the resolution of every valid time in the store.
///
/// Entities valid in [validFrom, validTo) match when their validity intersects [start, end]
/// (both inclusive, nil = open). Counts shown with them are taken as of `end` (today when open).
public struct TimeFilter: Sendable, Hashable, CustomStringConvertible {
    public let start: String?
    public let end: String?

    public init(start: String?, end: String?) { self.start = start; self.end = end }

    public static func instant(_ day: String) -> TimeFilter { TimeFilter(start: day, end: day) }
    public static func today() -> TimeFilter { .instant(ISODate.string(Date())) }

    public var isInstant: Bool { start != nil && start == end }

    /// The day counts are taken on.
    public var countsDay: String { end ?? ISODate.string(Date()) }

    public var description: String { isInstant ? start! : "\(start ?? "..")/\(end ?? "..")" }

    /// Parses an OGC API `datetime`: an RFC 3339 date-time (`2020-06-01T08:00:00Z`,
    /// `2020-06-01T08:00:00+08:00`), a full date (`2020-06-01`), or an interval `start/end` where
    /// either side may be `..` or empty (open). Throws a message naming what is wrong.
    public static func parse(_ text: String) throws(TimeFilterError) -> TimeFilter {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard !t.isEmpty else { throw .invalid(text, "it is empty") }
        if t.contains("/") {
            let parts = t.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard parts.count == 2 else { throw .invalid(text, "an interval has exactly one '/'") }
            let s = try bound(parts[0], whole: text), e = try bound(parts[1], whole: text)
            if s == nil && e == nil { throw .invalid(text, "at least one end of an interval must be given") }
            if let s, let e, s > e { throw .invalid(text, "the interval ends before it starts") }
            return TimeFilter(start: s, end: e)
        }
        let d = try day(t, whole: text)
        return .instant(d)
    }

    private static func bound(_ s: String, whole: String) throws(TimeFilterError) -> String? {
        s.isEmpty || s == ".." ? nil : try day(s, whole: whole)
    }

    /// The calendar day (UTC+8) of a date or RFC 3339 date-time.
    static func day(_ s: String, whole: String) throws(TimeFilterError) -> String {
        if s.count == 10 {
            guard ISODate.isValid(s) else { throw .invalid(whole, "'\(s)' is not a valid YYYY-MM-DD date") }
            return s
        }
        // RFC 3339 §5.6: 't' and 'z' may be lower case, and a leap second is written :60 (read
        // here as :59, since only the day counts).
        var chars = Array(s.uppercased())
        if chars.count >= 19, chars[10] == "T", chars[16] == ":", chars[17] == "6", chars[18] == "0" { chars[17] = "5"; chars[18] = "9" }
        let normalised = String(chars)
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let g = ISO8601DateFormatter()
        g.formatOptions = [.withInternetDateTime]
        guard let date = f.date(from: normalised) ?? g.date(from: normalised) else {
            throw .invalid(whole, "'\(s)' is not an RFC 3339 date-time (e.g. 2020-06-01T00:00:00Z) or a date")
        }
        return ISODate.string(date)
    }
}

public enum TimeFilterError: Error, CustomStringConvertible, Equatable {
    case invalid(String, String)

    public var description: String {
        switch self {
        case .invalid(let text, let why): "datetime '\(text)' is invalid: \(why)"
        }
    }
}
