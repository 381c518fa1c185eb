import Foundation
import OneMapGeo
import OneMapStore

/// What `onemap import` was asked to do.
public struct ImportOptions: Sendable {
    public var layer: String
    /// Overrides the CRS the file declares (EPSG code).
    public var srs: Int?
    /// Property holding each entity's stable key.
    public var key = "entity_code"
    public var mode = ImportMode.upsert
    /// First day of the imported versions (default today).
    public var validFrom = ISODate.string(Date())
    public var skipBad = false
    /// The feature table of a GeoPackage holding several.
    public var table: String?
    /// Text encoding of CSV files (UTF-8 by default; GBK is common in Chinese files).
    public var encoding: String?

    public init(layer: String) { self.layer = layer }
}

public struct ImportReport: Sendable {
    public var rows = 0
    public var repaired = 0
    public var versions = VersionSummary()
    public var rejected: [RejectedRow] = []
    public var seconds = 0.0
}

/// Reads a department's file, checks and repairs it, and writes it as entity versions in one
/// transaction. Bad rows are listed with their number and reason; by default any bad row refuses
/// the whole import.
public enum DepartmentImport {
    public static let supportedExtensions = ["geojson", "json", "ndjson", "geojsonl", "jsonl", "csv", "shp", "gpkg"]

    /// `progress(stage, done, total)`: rows done of total in the current stage (total 0: a message).
    public static func run(file: String, into store: any FeatureStore, options: ImportOptions,
                           progress: (String, Int, Int) -> Void = { _, _, _ in }) throws -> ImportReport {
        let start = Date()
        let ext = (file as NSString).pathExtension.lowercased()
        guard supportedExtensions.contains(ext) else {
            throw ImportError("unsupported file type '.\(ext)'; supported: GeoJSON (.geojson, .json), newline-delimited GeoJSON (.ndjson, .geojsonl), CSV (.csv), ESRI Shapefile (.shp) and GeoPackage (.gpkg)")
        }
        guard ISODate.isValid(options.validFrom) else { throw ImportError("--valid-from '\(options.validFrom)' is not a YYYY-MM-DD date") }
        guard let layerInfo = try store.layer(id: options.layer) else {
            throw ImportError("unknown layer '\(options.layer)'; layers: \(try store.layers().map(\.id).joined(separator: ", "))")
        }
        let reader: any FeatureFileReader
        switch ext {
        case "csv": reader = try CSVFileReader(path: file, encoding: options.encoding)
        case "shp": reader = try ShapefileReader(path: file, encoding: options.encoding)
        case "gpkg": reader = try GeoPackageReader(path: file, table: options.table)
        default: reader = try GeoJSONFileReader(path: file)
        }
        let epsg = options.srs ?? reader.declaredEPSG ?? 4326  // RFC 7946: longitude, latitude (WGS84)
        guard let crs = CRS.epsg(epsg) else {
            throw ImportError("CRS EPSG:\(epsg) is not supported; supported: \(CRS.supported.map(\.description).joined(separator: ", "))")
        }
        var features = try reader.features()
        if ext == "shp" {
            // dBASE cuts field names to 10 characters (entity_code -> entity_cod): map them back.
            let expected = layerInfo.fields.map(\.name) + [options.key]
            features = features.map { f in
                var props = f.properties
                for name in expected where name.count > 10 && props[name] == nil {
                    if let v = props.removeValue(forKey: String(name.prefix(10))) { props[name] = v }
                }
                return SourceFeature(row: f.row, properties: props, geometry: f.geometry)
            }
        }
        progress("read \(features.count) features from \(file) (\(crs))", 0, 0)
        var report = ImportReport()
        report.rows = features.count

        // One bounding box for the plausibility check: wrong CRSs are file-level, not row-level, errors.
        var box: BBox?
        for f in features { if let b = f.geometry?.bbox { if box == nil { box = b } else { box!.extend(b) } } }
        if let box { try CRSPlausibility.check(box, declared: crs) }

        let reprojector = Reprojector()
        let engine = GeometryEngine()
        var records: [KeyedRecord] = []
        var transformedBox: BBox?
        for (n, f) in features.enumerated() {
            if n % 2000 == 0 { progress("checking", n, features.count) }
            if case .string(let e)? = f.properties["__error"] { report.rejected.append(RejectedRow(row: f.row, reason: e)); continue }
            guard var g = f.geometry else { report.rejected.append(RejectedRow(row: f.row, reason: "no geometry")); continue }
            let key: String
            switch f.properties[options.key] {
            case .string(let s)? where !s.trimmingCharacters(in: .whitespaces).isEmpty: key = s
            case .int(let n)?: key = String(n)
            default: report.rejected.append(RejectedRow(row: f.row, reason: "no key: property '\(options.key)' is missing or empty")); continue
            }
            do {
                g = try reprojector.transform(g, from: crs, to: .cgcs2000)
                let v = try engine.validity(g)
                if !v.isValid {
                    guard let fixed = try engine.makeValid(g) else {
                        report.rejected.append(RejectedRow(row: f.row, reason: "invalid geometry (\(v.reason ?? "?")) cannot be repaired")); continue
                    }
                    // make-valid may split a bow-tie into parts (a footprint must stay one polygon) and
                    // keeps collapsed spikes as lines (dropped: they have no area).
                    let parts = fixed.polygons
                    guard parts.count == 1 else {
                        report.rejected.append(RejectedRow(row: f.row, reason: "invalid geometry (\(v.reason ?? "?")) repairs into \(parts.count) polygons, not one"))
                        continue
                    }
                    g = .polygon(parts[0])
                    report.repaired += 1
                }
            } catch {
                report.rejected.append(RejectedRow(row: f.row, reason: "geometry: \(error)")); continue
            }
            if let b = g.bbox { if transformedBox == nil { transformedBox = b } else { transformedBox!.extend(b) } }
            var values = f.properties
            values[options.key] = nil
            records.append(KeyedRecord(row: f.row, key: key, values: values, geometry: g))
        }
        if let transformedBox { try CRSPlausibility.checkTransformed(transformedBox, from: crs) }
        progress("writing \(records.count) versions (\(options.mode.rawValue), valid from \(options.validFrom))", 0, 0)
        // The store checks the rest (fields, keys, version order) and refuses the whole import if any
        // row, including those already found bad here, is bad (unless skipping).
        report.versions = try store.applyVersions(layer: options.layer, records: records, alreadyRejected: report.rejected,
                                                  mode: options.mode, validFrom: options.validFrom, skipBad: options.skipBad) {
            progress("writing", $0, records.count)
        }
        report.rejected = report.versions.rejected
        report.seconds = Date().timeIntervalSince(start)
        return report
    }
}
