import Foundation
import OneMapGeo
import OneMapQuery
import OneMapStore

/// `GET /collections/{id}/export` and `onemap export features`: every feature a query matches (not
/// a page), as the caller's view shows them, in CSV, XLSX, GeoJSON or GeoPackage.
public struct FeatureExportRequest: Sendable {
    public var items: ItemsRequest
    public var format: ExportFormat
    public var geometry: FeatureTable.GeometryColumns
    /// At most this many features (nil: up to `maxFeatures`).
    public var limit: Int?

    /// More features than this are refused: an export is a file for a desk, not a copy of the store.
    public static let maxFeatures = 1_000_000
    public static let parameters = ["format", "geometry", "limit"]

    /// `format` (required) and `geometry` (csv, xlsx: wkt, point or none), `limit` (1 to a million)
    /// and the items parameters (bbox, bbox-crs, datetime, crs, filter, filter-lang, filter-crs,
    /// sortby, properties, property equalities). Not `offset` or `f`: an export is one file.
    public static func parse(_ parameters: [(String, String)], layer: LayerInfo, filterable: [FieldInfo],
                             hidden: Set<String> = []) throws(QueryError) -> FeatureExportRequest {
        var format: ExportFormat?, geometry: FeatureTable.GeometryColumns?, limit: Int?
        var rest: [(String, String)] = []
        for (k, v) in parameters {
            switch k {
            case "format":
                guard let f = ExportFormat.parse(v, offered: ExportFormat.forFeatures) else {
                    throw QueryError("format '\(v)' is not offered; use \(ExportFormat.forFeatures.map(\.rawValue).joined(separator: ", "))")
                }
                format = f
            case "geometry":
                guard let g = FeatureTable.GeometryColumns(rawValue: v) else {
                    throw QueryError("geometry '\(v)' must be wkt (one WKT column), point (x and y columns) or none")
                }
                geometry = g
            case "limit":
                guard let n = Int(v), n >= 1, n <= maxFeatures else { throw QueryError("limit '\(v)' must be a whole number from 1 to \(maxFeatures)") }
                limit = n
            case "offset", "f": throw QueryError("'\(k)' does not apply to an export (it holds every matching feature); use limit, bbox or filter to narrow it")
            default: rest.append((k, v))
            }
        }
        guard let format else { throw QueryError("parameter 'format' is required: \(ExportFormat.forFeatures.map(\.rawValue).joined(separator: ", "))") }
        if let geometry, format == .geojson || format == .gpkg {
            throw QueryError("geometry=\(geometry.rawValue) applies to csv and xlsx; \(format.rawValue) always holds the geometry")
        }
        var items = try ItemsRequest.parse(rest, layer: layer, filterable: filterable, hidden: hidden)
        items.query.limit = (limit ?? maxFeatures) + 1  // one more: a query over the bound is refused, not cut
        items.query.offset = 0
        return FeatureExportRequest(items: items, format: format, geometry: geometry ?? (format == .xlsx ? .point : .wkt), limit: limit)
    }
}

public struct FeatureExport {
    /// An export that cannot be made as asked (too large, wrong format for the data).
    public struct ExportError: Error, CustomStringConvertible {
        public let description: String
    }

    /// The file and the number of features in it. `restriction`: the caller's area, ANDed.
    public static func run(_ request: FeatureExportRequest, view: LayerView, store: any FeatureStore, title: String) throws -> (data: Data, rows: Int) {
        var query = request.items.query
        if let r = view.restriction { query.filter = query.filter.map { .and([$0, r]) } ?? r }
        let bound = request.limit ?? FeatureExportRequest.maxFeatures
        let crs = request.items.outputCRS
        let properties = request.items.properties
        switch request.format {
        case .geojson:
            let writer = FeatureGeoJSON(view: view, crs: crs, properties: properties)
            var out = "{\"type\":\"FeatureCollection\",\"name\":"
            FeatureGeoJSON.string(view.layer.id, into: &out)
            out += ",\"crs\":"
            FeatureGeoJSON.string(crs.uri, into: &out)
            out += ",\"features\":["
            var n = 0
            try store.queryFeatures(query) { f in
                guard n < bound else { n += 1; return }
                if n > 0 { out += "," }
                try writer.write(f, into: &out)
                n += 1
            }
            try check(n, request)
            let returned = min(n, bound)
            out += "],\"numberReturned\":\(returned)}"
            return (Data(out.utf8), returned)
        case .csv, .xlsx, .gpkg:
            var table = FeatureTable(view: view, crs: crs.crs, properties: properties)
            var n = 0
            try store.queryFeatures(query) { f in
                n += 1
                if n <= bound { try table.add(f) }
            }
            try check(n, request)
            n = min(n, bound)
            switch request.format {
            case .csv: return (CSVWriter.data(try table.table(name: view.layer.id, geometry: request.geometry)), n)
            case .xlsx:
                guard n < XLSXWriter.maxRows else { throw ExportError(description: "\(n) features do not fit a spreadsheet (at most \(XLSXWriter.maxRows - 1) rows); use csv or gpkg") }
                return (try XLSXWriter.data([try table.table(name: view.layer.id, geometry: request.geometry)], title: title), n)
            default: return (try GeoPackageWriter.data(table, name: view.layer.id, title: title), n)
            }
        case .json: throw ExportError(description: "json is a statistics format; features export as geojson")
        }
    }

    static func check(_ n: Int, _ request: FeatureExportRequest) throws {
        let bound = request.limit ?? FeatureExportRequest.maxFeatures
        if n > bound, request.limit == nil {
            throw ExportError(description: "the query matches more than \(bound) features; narrow it with bbox, datetime or filter")
        }
    }
}
