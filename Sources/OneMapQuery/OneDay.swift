import OneMapStore

/// A parameter that names one calendar day (a date or an RFC 3339 instant, read in UTC+8), as
/// statistics, areas, identify, time series and CQL2 date literals take it. Intervals are refused.
public enum OneDay {
    public static func parse(_ text: String, name: String = "datetime") throws(QueryError) -> String {
        let f: TimeFilter
        do { f = try TimeFilter.parse(text) } catch { throw QueryError(name == "datetime" ? error.description : "\(name): \(error.description)") }
        guard f.isInstant, let day = f.start else { throw QueryError("\(name) '\(text)' must be one day, not an interval") }
        return day
    }
}
