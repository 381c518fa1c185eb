import Foundation

/// The file formats of exports.
public enum ExportFormat: String, Sendable, CaseIterable {
    case csv, xlsx, geojson, gpkg, json

    public var mediaType: String {
        switch self {
        case .csv: "text/csv; charset=utf-8"
        case .xlsx: XLSXWriter.mediaType
        case .geojson: "application/geo+json"
        case .gpkg: GeoPackageWriter.mediaType
        case .json: "application/json"
        }
    }

    public var fileExtension: String { rawValue }

    /// Formats of feature exports and of statistics exports.
    public static let forFeatures: [ExportFormat] = [.csv, .xlsx, .geojson, .gpkg]
    public static let forStatistics: [ExportFormat] = [.csv, .xlsx, .json]

    /// From a `format` parameter (`geopackage` and `excel` too), among `offered`.
    public static func parse(_ text: String, offered: [ExportFormat]) -> ExportFormat? {
        let t = text.lowercased()
        let f: ExportFormat? = switch t {
        case "geopackage": .gpkg
        case "excel": .xlsx
        default: ExportFormat(rawValue: t)
        }
        return f.flatMap { offered.contains($0) ? $0 : nil }
    }

    /// From an output file's name (`x.gpkg`, `x.xlsx`, ...).
    public static func of(path: String, offered: [ExportFormat]) -> ExportFormat? {
        parse((path as NSString).pathExtension, offered: offered)
    }
}
