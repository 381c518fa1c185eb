import ArgumentParser
import Foundation
import OneMapAccess
import OneMapAnalytics
import OneMapGeo
import OneMapQuery
import OneMapReports
import OneMapStore
import OneMapBackends

/// The viewer a CLI export or report is made for: a department (its grants apply) or the public.
func cliViewer(_ store: any OneMapDatabase, department: String?) throws -> Principal {
    guard let department else { return .anonymous }
    guard let d = try store.departments().first(where: { $0.code == department }) else {
        throw ValidationError("no department '\(department)'; see `onemap dept list`")
    }
    return .department(d, keyPrefix: "cli")
}

/// Writes `data` to `path` whole or not at all (a temporary file beside it, then renamed).
func writeAtomically(_ data: Data, to path: String) throws {
    let dir = (path as NSString).deletingLastPathComponent
    if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    do { try data.write(to: URL(fileURLWithPath: path), options: .atomic) } catch { throw ValidationError("cannot write \(path): \(error.localizedDescription)") }
}

/// Streams a file into `path.part` and renames it when complete (a failure removes the part), so
/// a whole-layer export never sits in memory and no half-written file takes the name. Returns
/// what `write` returned and the file's size.
func streamAtomically(to path: String, _ write: (ExportSink) throws -> Int) throws -> (Int, Int) {
    let dir = (path as NSString).deletingLastPathComponent
    if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
    let part = path + ".part"
    guard FileManager.default.createFile(atPath: part, contents: nil), let handle = FileHandle(forWritingAtPath: part) else {
        throw ValidationError("cannot write \(part)")
    }
    do {
        let sink = ExportSink { try handle.write(contentsOf: $0) }
        let result = try write(sink)
        try handle.synchronize()
        try handle.close()
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
        try FileManager.default.moveItem(atPath: part, toPath: path)
        return (result, sink.bytesWritten)
    } catch {
        try? handle.close()  // already failing: the part file is removed next
        try? FileManager.default.removeItem(atPath: part)  // best effort; the original error is what matters
        throw error
    }
}

/// `onemap export features|stats`: what `GET /collections/{id}/export` and `GET /stats/export`
/// answer, written to a file, for the named department's view (default: the public's), audited.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export features (CSV, XLSX, GeoJSON, GeoPackage) or statistics (CSV, XLSX, JSON) to a file.",
        subcommands: [Features.self, Stats.self])

    struct Features: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every feature of a layer matching the query, as the department may see them.")
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
        @Argument(help: "The layer (collection id).") var layer: String
        @Option(help: "Output file; its extension (.csv, .xlsx, .geojson, .gpkg) is the format unless --format says otherwise.") var out: String
        @Option(help: "csv, xlsx, geojson or gpkg.") var format: String?
        @Option(name: .customLong("query"), parsing: .singleValue,
                help: "An items parameter as name=value (repeatable): bbox, bbox-crs, datetime, crs, filter, sortby, properties, geometry, limit, or a property.")
        var query: [String] = []
        @Option(help: "Export what this department may see (default: the public view).") var department: String?

        func run() throws {
            let store = try openStore(db)
            let principal = try cliViewer(store, department: department)
            guard let info = try store.layer(id: layer), info.isSpatial else { throw ValidationError("no feature layer '\(layer)'") }
            let policy = AccessPolicy(store: store)
            let view: LayerView
            do { view = try policy.view(of: info, for: principal).view } catch let e as AccessDenied {
                throw ValidationError("\(department ?? "the public") may not read '\(layer)': \(e.message)")
            }
            var parameters: [(String, String)] = []
            for q in query {
                guard let eq = q.firstIndex(of: "=") else { throw ValidationError("--query '\(q)' must be name=value") }
                parameters.append((String(q[..<eq]), String(q[q.index(after: eq)...])))
            }
            let fmt = format ?? (out as NSString).pathExtension
            guard ExportFormat.parse(fmt, offered: ExportFormat.forFeatures) != nil else {
                throw ValidationError("format '\(fmt)' is not offered; use csv, xlsx, geojson or gpkg (or an --out with that extension)")
            }
            parameters.append(("format", fmt))
            let day = parameters.first { $0.0 == "datetime" }.flatMap { try? TimeFilter.parse($0.1) }?.countsDay ?? ISODate.string(Date())
            let allowed = Set(view.queryable.fields.map(\.name))
            let request: FeatureExportRequest
            do {
                request = try FeatureExportRequest.parse(parameters, layer: view.queryable,
                                                         filterable: try store.filterableFields(layer: layer, countsOn: day).filter { allowed.contains($0.name) })
            } catch let e as QueryError { throw ValidationError(e.description) }
            let start = Date()
            let rows: Int, bytes: Int
            do {
                (rows, bytes) = try streamAtomically(to: out) { sink in
                    try FeatureExport.stream(request, view: view, store: store, title: "\(info.title) \(day)", into: sink)
                }
            } catch let e as FeatureExport.ExportError {
                throw ValidationError(e.description)
            }
            try store.appendAudit([AuditRecord(at: AuditTrail.now(), principal: cliPrincipal(), action: "export", endpoint: "onemap export features",
                                               layer: layer, purpose: department.map { "view of \($0)" }, area: request.items.query.bbox.map { String(format: "bbox %.6f,%.6f,%.6f,%.6f", $0.minX, $0.minY, $0.maxX, $0.maxY) },
                                               datetime: day, rows: rows, outcome: "wrote \(out)")])
            print(String(format: "exported %d features of %@ to %@ (%@, %.1f KiB) in %.2f s", rows, layer, out, request.format.rawValue,
                         Double(bytes) / 1024, Date().timeIntervalSince(start)))
        }
    }

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The statistics of an area (as /stats answers them) as CSV, XLSX or JSON.")
        @Option(help: "Database: a SpatiaLite file path or a postgresql:// URL.") var db = "data/onemap.sqlite"
        @Option(help: "Administrative code.") var area: String
        @Option(help: "Day (YYYY-MM-DD), default today.") var datetime: String?
        @Option(help: "Breakdowns, comma-separated: county, township, village, grid, sex, ageBand, registration, industry, use.") var groupBy: String?
        @Option(help: "Output file (.csv, .xlsx or .json).") var out: String
        @Option(help: "Export what this department may see (default: the public view).") var department: String?

        func run() throws {
            let store = try openStore(db)
            let principal = try cliViewer(store, department: department)
            var parameters = [("area", area)]
            if let datetime { parameters.append(("datetime", datetime)) }
            if let groupBy { parameters.append(("groupBy", groupBy)) }
            let request: StatisticsRequest
            do { request = try StatisticsRequest.parse(parameters: parameters) } catch { throw ValidationError(error.description) }
            guard let format = ExportFormat.of(path: out, offered: ExportFormat.forStatistics) else {
                throw ValidationError("--out must end in .csv, .xlsx or .json")
            }
            let policy = AccessPolicy(store: store)
            let disclosure: StatisticsDisclosure
            do { disclosure = try policy.disclosure(for: principal, area: request.area).0 } catch let e as AccessDenied { throw ValidationError(e.message) }
            let statistics = StatisticsService(store: store)
            guard let stats = try statistics.publishedStatistics(request.area, on: request.day, groupBy: request.groupBy, disclosure: disclosure) else {
                throw ValidationError("no administrative area '\(area)' on \(request.day)")
            }
            let names = Dictionary(try store.adminAreas(level: nil, asOf: request.day).map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
            let doc = StatisticsDocument.make(stats, request: request, disclosure: disclosure)
            let about: [(String, String)] = [("区域 area", "\(stats.name ?? "") (\(area))"), ("日期 as of", request.day),
                                             ("生成 generated by", cliPrincipal() + (department.map { " for \($0)" } ?? " (public view)")),
                                             ("生成时间 generated at", AuditTrail.now())]
            let data = try StatisticsExport.run(doc, format: format, names: names, title: "\(stats.name ?? area) \(request.day)", about: about)
            try writeAtomically(data, to: out)
            try store.appendAudit([AuditRecord(at: AuditTrail.now(), principal: cliPrincipal(), action: "export", endpoint: "onemap export stats",
                                               layer: "population,businesses,buildings", purpose: department.map { "view of \($0)" }, area: area,
                                               datetime: request.day, rows: 1, outcome: "wrote \(out)")])
            print("exported the statistics of \(stats.name ?? area) (\(area)) on \(request.day) to \(out)")
        }
    }
}
