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

    /// Writes the export into `sink` as the features are read, and returns the number of
    /// features. The matching features are counted first, so a request over the bound (or too
    /// large for a spreadsheet) fails before any byte is written; `starting` is then told how
    /// many will follow (to audit the release before it happens). CSV, GeoJSON and XLSX are
    /// written as they come; a GeoPackage is an SQLite file, made in a scratch file and then
    /// copied into the sink. Only the current feature and one piece of output are held.
    @discardableResult
    public static func stream(_ request: FeatureExportRequest, view: LayerView, store: any FeatureStore, title: String,
                              into sink: ExportSink, starting: (Int) throws -> Void = { _ in }) throws -> Int {
        var query = request.items.query
        if let r = view.restriction { query.filter = query.filter.map { .and([$0, r]) } ?? r }
        let bound = request.limit ?? FeatureExportRequest.maxFeatures
        query.streamed = true
        let matched = try store.countFeatures(query)
        try check(matched, request)
        let rows = min(matched, bound)
        if request.format == .xlsx, rows >= XLSXWriter.maxRows {
            throw ExportError(description: "\(rows) features do not fit a spreadsheet (at most \(XLSXWriter.maxRows - 1) rows); use csv or gpkg")
        }
        if request.format == .json { throw ExportError(description: "json is a statistics format; features export as geojson") }
        query.limit = bound
        query.offset = 0
        try starting(rows)
        let crs = request.items.outputCRS
        let properties = request.items.properties
        var n = 0
        switch request.format {
        case .geojson:
            let writer = FeatureGeoJSON(view: view, crs: crs, properties: properties)
            var out = "{\"type\":\"FeatureCollection\",\"name\":"
            FeatureGeoJSON.string(view.layer.id, into: &out)
            out += ",\"crs\":"
            FeatureGeoJSON.string(crs.uri, into: &out)
            out += ",\"features\":["
            try sink.write(out)
            try store.queryFeatures(query) { f in
                out = n > 0 ? "," : ""
                try writer.write(f, into: &out)
                try sink.write(out)
                n += 1
            }
            try sink.write("],\"numberReturned\":\(n)}")
        case .csv, .xlsx:
            let table = FeatureTable(view: view, crs: crs.crs, properties: properties)
            let cells = FeatureTable.TableCells(table, geometry: request.geometry)
            if request.format == .csv {
                try sink.write(CSVWriter.bom)
                var line = ""
                CSVWriter.appendRow(cells.header, into: &line)
                try sink.write(line)
                try store.queryFeatures(query) { f in
                    line = ""
                    CSVWriter.appendRow(try cells.cells(table.row(f)).map(\.text), into: &line)
                    try sink.write(line)
                    n += 1
                }
            } else {
                let book = try XLSXStream(sink: sink, sheets: [view.layer.id], title: title)
                try book.beginSheet(columns: cells.header)
                try store.queryFeatures(query) { f in
                    try book.addRow(try cells.cells(table.row(f)))
                    n += 1
                }
                try book.endSheet()
                try book.finish()
            }
        case .gpkg:
            let table = FeatureTable(view: view, crs: crs.crs, properties: properties)
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("onemap-gpkg-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { removeScratch(dir) }
            let path = dir.appendingPathComponent("export.gpkg").path
            do {
                let file = try GeoPackageFile(path: path, layer: view.layer, columns: table.columns, crs: table.crs, name: view.layer.id, title: title)
                try store.queryFeatures(query) { f in
                    try file.add(try table.row(f))
                    n += 1
                }
                try file.finish()
            }
            try copy(path, into: sink)
        case .json: break
        }
        try sink.flush()
        return n
    }

    /// Copies a file into the sink in pieces of 1 MiB.
    static func copy(_ path: String, into sink: ExportSink) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw ExportError(description: "cannot read the scratch file \(path)") }
        defer { try? handle.close() }  // a read-only handle: closing it cannot lose anything
        while let piece = try handle.read(upToCount: 1 << 20), !piece.isEmpty {
            try sink.write(piece)
        }
    }

    /// Scratch files go whatever happened; failing to remove one is not the export's failure.
    static func removeScratch(_ dir: URL) {
        do { try FileManager.default.removeItem(at: dir) } catch {
            FileHandle.standardError.write(Data("onemap: could not remove scratch directory \(dir.path): \(error)\n".utf8))
        }
    }

    static func check(_ n: Int, _ request: FeatureExportRequest) throws {
        let bound = request.limit ?? FeatureExportRequest.maxFeatures
        if n > bound, request.limit == nil {
            throw ExportError(description: "the query matches more than \(bound) features; narrow it with bbox, datetime or filter")
        }
    }
}
