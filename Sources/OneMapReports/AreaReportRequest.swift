import Foundation
import OneMapQuery
import OneMapStore

/// The formats of an area report.
public enum ReportFormat: String, Sendable, CaseIterable {
    case pdf, html, xlsx, json

    public var mediaType: String {
        switch self {
        case .pdf: "application/pdf"
        case .html: "text/html; charset=utf-8"
        case .xlsx: XLSXWriter.mediaType
        case .json: "application/json"
        }
    }

    /// The map's size in the report (PDF points or HTML pixels); nil: no map (XLSX, JSON).
    public var mapSize: (Int, Int)? {
        switch self {
        case .pdf: ReportPDF.mapSize
        case .html: (1030, 720)
        case .xlsx, .json: nil
        }
    }
}

/// `GET /reports/area?area=CODE|GeoJSON&datetime=&compare=&format=` (or the same members in a
/// POST body, as `/stats` takes them): the area, its day, the day to compare with, the format.
public struct AreaReportRequest: Sendable {
    public var statistics: StatisticsRequest
    public var compare: String?
    public var format: ReportFormat

    public static let parameters = ["area", "datetime", "compare", "format", "crs"]

    public init(statistics: StatisticsRequest, compare: String?, format: ReportFormat) {
        self.statistics = statistics; self.compare = compare; self.format = format
    }

    /// Query parameters: `area` is an administrative code or a GeoJSON geometry (URL-encoded).
    public static func parse(parameters: [(String, String)]) throws(QueryError) -> AreaReportRequest {
        var body: [String: Any] = [:]
        var seen = Set<String>()
        for (k, v) in parameters {
            guard seen.insert(k).inserted else { throw QueryError("parameter '\(k)' is given more than once") }
            guard Self.parameters.contains(k) else {
                throw QueryError("unknown query parameter '\(k)'; /reports/area accepts \(Self.parameters.joined(separator: ", "))")
            }
            if k == "area", v.trimmingCharacters(in: .whitespaces).hasPrefix("{") {
                guard let g = try? JSONSerialization.jsonObject(with: Data(v.utf8)) else { throw QueryError("area is neither an administrative code nor GeoJSON") }
                body[k] = g
            } else {
                body[k] = v
            }
        }
        return try parse(json: body)
    }

    /// A JSON body: `/stats`'s members (area, crs, datetime) plus compare and format.
    public static func parse(json: Any) throws(QueryError) -> AreaReportRequest {
        guard var body = json as? [String: Any] else { throw QueryError("the body must be a JSON object with an \"area\"") }
        var format = ReportFormat.pdf
        if let f = body.removeValue(forKey: "format") {
            guard let text = f as? String, let parsed = ReportFormat(rawValue: text.lowercased()) else {
                throw QueryError("format '\(f)' is not offered; use \(ReportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            format = parsed
        }
        var compare: String?
        if let c = body.removeValue(forKey: "compare") {
            guard let text = c as? String else { throw QueryError("compare must be a date (YYYY-MM-DD)") }
            compare = try OneDay.parse(text, name: "compare")
        }
        if body["groupBy"] != nil { throw QueryError("a report has its own breakdowns; groupBy is for /stats") }
        var statistics = try StatisticsRequest.parse(json: body)
        if let compare, compare == statistics.day { throw QueryError("compare \(compare) is the report's own day; give an earlier or later day") }
        statistics.groupBy = []
        return AreaReportRequest(statistics: statistics, compare: compare, format: format)
    }
}
