import Foundation
import OneMapGeo
import OneMapStore

/// What `onemap import` was asked to do.
public struct ImportOptions: Sendable {
    public var layer: String
    /// Overrides the CRS the file declares (EPSG code).
    public var srs: Int?
    /// Property holding each entity's stable key: by default the layer's key field, or for a new
    /// layer `entity_code`, else the features' `id`.
    public var key: String?
    /// For a new layer: title, owner department, share class and first tile zoom (defaults: the
    /// layer name, SMDSJ the data center, conditional, 0 or 12 above 20,000 features).
    public var title: String?
    public var owner = "SMDSJ"
    public var shareClass = ShareClass.conditional
    public var minZoom: Int?
    public var mode = ImportMode.upsert
    /// First day of the imported versions (default today).
    public var validFrom = ISODate.string(Date())
    public var skipBad = false
    /// The feature table of a GeoPackage holding several.
    public var table: String?
    /// Text encoding of CSV files (UTF-8 by default; GBK is common in Chinese files).
    public var encoding: String?
    /// Person and business records: how far (metres) coordinates may lie from the building they
    /// are placed in when no footprint contains them.
    public var toleranceMetres = 30.0
    /// Features checked and written at a time (GeoJSON files are read a chunk at a time, so memory
    /// stays bounded whatever the file's size); a file up to this size goes in one Hilbert order.
    public var chunkSize = 250_000
    /// Person and business records: the key that links `id_number` (a person) and
    /// `representative_id_number` (an enterprise's legal representative) to the records for
    /// self-service sign-in. Nil: no links (a raw `id_number` is still masked, never stored).
    public var identityKey: IdentityKey?

    public init(layer: String) { self.layer = layer }
}

public struct ImportReport: Sendable {
    public var rows = 0
    public var repaired = 0
    public var versions = VersionSummary()
    public var rejected: [RejectedRow] = []
    public var seconds = 0.0
    /// Person and business records: how they were placed (nil for layers with geometry).
    public var placement: RecordImportSummary?
    /// Identities linked to records (self-service sign-in), when an identity key was given.
    public var identityLinks = 0
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
        let existing = try store.layer(id: options.layer)
        if existing == nil { try LayerSchema.checkLayerID(options.layer) }
        let reader: any FeatureFileReader
        switch ext {
        case "csv": reader = try CSVFileReader(path: file, encoding: options.encoding, geometryOptional: existing?.isSpatial == false)
        case "shp": reader = try ShapefileReader(path: file, encoding: options.encoding)
        case "gpkg": reader = try GeoPackageReader(path: file, table: options.table)
        default: reader = try GeoJSONFileReader(path: file)
        }
        let epsg = options.srs ?? reader.declaredEPSG ?? 4326  // RFC 7946: longitude, latitude (WGS84)
        guard let crs = CRS.epsg(epsg) else {
            throw ImportError("CRS EPSG:\(epsg) is not supported; supported: \(CRS.supported.map(\.description).joined(separator: ", "))")
        }
        StageTimer.mark("open")
        if let existing, !existing.isSpatial {
            // Person and business records are placed one by one against the buildings: read whole.
            let features = try reader.features()
            let keyField = try options.key ?? Self.recordKeys[options.layer] ?? existing.fields.first?.name ?? defaultKey(features)
            progress("read \(features.count) records from \(file) (\(crs))", 0, 0)
            return try importRecords(features, layer: existing, keyField: keyField, crs: crs, store: store, options: options,
                                     start: start, progress: progress)
        }
        var report = ImportReport()
        let onlyOnePolygon = options.layer == "buildings"
        let givenKey = options.key ?? Self.recordKeys[options.layer] ?? existing?.fields.first?.name
        // A new layer's schema, geometry type and first zoom depend on every record: a first pass
        // over the file finds them (and any CRS mistake) before anything is written. The file is
        // then read again, chunk by chunk, into the store.
        var survey: ImportSurvey?
        if existing == nil || givenKey == nil {
            progress("surveying \(file) (\(crs))", 0, 0)
            survey = try ImportSurvey.read(reader, crs: crs, keyField: givenKey, onlyOnePolygon: onlyOnePolygon, chunkSize: max(1, options.chunkSize))
            StageTimer.mark("survey")
        }
        let keyField = try givenKey ?? survey!.defaultKey()
        let layer = try existing ?? newLayer(survey!, keyField: keyField, file: file, options: options)
        if let survey {
            progress("read \(survey.features) features from \(file) (\(crs))", 0, 0)
        } else {
            progress("reading \(file) (\(crs)) a chunk at a time", 0, 0)
        }
        // The key stays among the values when it is a field of the layer (a new layer's first field,
        // buildings' entity_code): no copy of every feature's properties just to drop it.
        let keepKey = existing.map { $0.fields.contains { $0.name == keyField } } ?? true
        // dBASE cuts field names to 10 characters (entity_code -> entity_cod): mapped back.
        let longNames = ext == "shp" && existing != nil ? layer.fields.map(\.name) + [keyField] : []
        let expected = survey?.checked
        let reread = existing != nil ? nil : survey?.onlyChunk(keyField: keyField)
        let stream = RecordStream(expectedCount: expected, box: survey?.transformedBox) { body in
            if let reread {
                // A new layer from a file of one chunk: the survey's records, not a second read.
                report.rows = survey?.features ?? 0
                report.repaired = reread.repaired
                return try body(reread.chunk)
            }
            try reader.forEachChunk(size: max(1, options.chunkSize)) { source in
                let features = longNames.isEmpty ? source : source.map { Self.restoringLongNames($0, longNames) }
                report.rows += features.count
                let chunk = try Self.check(features, crs: crs, keyField: keyField, keepKey: keepKey, onlyOnePolygon: onlyOnePolygon,
                                           surveyed: survey != nil, report: &report)
                Parallel.releaseInBackground(consume features)
                try body(chunk)
            }
        }
        progress("writing versions (\(options.mode.rawValue), valid from \(options.validFrom))", 0, 0)
        // The store checks the rest (fields, keys, version order) and refuses the whole import if any
        // row, including those already found bad here, is bad (unless skipping).
        report.versions = try store.applyVersions(layer: layer, stream: stream, mode: options.mode, validFrom: options.validFrom,
                                                  skipBad: options.skipBad) { progress("writing", $0, expected ?? 0) }
        report.rejected = report.versions.rejected
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// One chunk through the row checks on all cores, each slice with its own PROJ and GEOS handles.
    /// Without a survey (an import into a stored layer) each chunk's boxes are checked for a wrong CRS.
    static func check(_ features: [SourceFeature], crs: CRS, keyField: String?, keepKey: Bool, onlyOnePolygon: Bool,
                      surveyed: Bool, report: inout ImportReport) throws -> RecordChunk {
        if !surveyed, let box = sourceBox(features) { try CRSPlausibility.check(box, declared: crs) }
        let outcomes = Parallel.map(features.count, context: { RowChecker(crs: crs, onlyOnePolygon: onlyOnePolygon) }) { checker, n in
            checker.check(features[n], keyField: keyField, keepKey: keepKey)
        }
        var chunk = RecordChunk(records: [])
        chunk.records.reserveCapacity(outcomes.count)
        var transformedBox: BBox?
        for o in outcomes {
            switch o {
            case .rejected(let bad): chunk.rejected.append(bad)
            case .record(let r, let repaired, let b):
                if repaired { report.repaired += 1 }
                if transformedBox == nil { transformedBox = b } else { transformedBox!.extend(b) }
                chunk.records.append(r)
            }
        }
        // Many small arrays and dictionaries: freed on the other core while this one goes on.
        Parallel.releaseInBackground(consume outcomes)
        if !surveyed, let transformedBox { try CRSPlausibility.checkTransformed(transformedBox, from: crs) }
        return chunk
    }

    /// The joint box of the features' geometries as given (before reprojection).
    static func sourceBox(_ features: [SourceFeature]) -> BBox? {
        var box: BBox?
        for f in features { if let b = f.geometry?.bbox { if box == nil { box = b } else { box!.extend(b) } } }
        return box
    }

    /// A Shapefile feature with its 10-character field names mapped back to the layer's.
    static func restoringLongNames(_ f: SourceFeature, _ expected: [String]) -> SourceFeature {
        var props = f.properties
        for name in expected where name.count > 10 && props[name] == nil {
            if let v = props.removeValue(forKey: String(name.prefix(10))) { props[name] = v }
        }
        return SourceFeature(row: f.row, properties: props, geometry: f.geometry, featureID: f.featureID)
    }

    /// Keys of the record layers: the department's person key and the business's credit code.
    static let recordKeys = ["population": "person_key", "businesses": "credit_code"]

    /// People or businesses: points reprojected to EPSG:4490, then placed and versioned by the store.
    static func importRecords(_ features: [SourceFeature], layer: LayerInfo, keyField: String, crs: CRS, store: any FeatureStore,
                              options: ImportOptions, start: Date, progress: (String, Int, Int) -> Void) throws -> ImportReport {
        if let box = sourceBox(features) { try CRSPlausibility.check(box, declared: crs) }
        // Fields the layer does not have refuse the file (a raw `id_number` is masked on the way in).
        let known = Set(layer.fields.map(\.name) + ["id_number", "representative_id_number", keyField, "__error"])
        let unknown = Set(features.flatMap { $0.properties.keys.filter { !known.contains($0) } })
        guard unknown.isEmpty else {
            throw ImportError("the file has field(s) \(unknown.sorted().map { "'\($0)'" }.joined(separator: ", ")) that layer '\(layer.id)' does not have; its fields: \(layer.fields.map(\.name).joined(separator: ", "))")
        }
        // An enterprise's representative is only ever linked, never stored: without a key the
        // number would be dropped in silence.
        let identityField = layer.id == CoreLayers.population.id ? "id_number" : "representative_id_number"
        if options.identityKey == nil, layer.id == CoreLayers.businesses.id, features.contains(where: { $0.properties["representative_id_number"] != nil }) {
            throw ImportError("the file has 'representative_id_number': linking representatives to their enterprises needs --identity-key FILE (the numbers themselves are never stored)")
        }
        var report = ImportReport()
        report.rows = features.count
        let reprojector = Reprojector()
        var records: [RecordSource] = []
        var links: [IdentityLink] = []
        for f in features {
            func reject(_ reason: String) { report.rejected.append(RejectedRow(row: f.row, reason: reason)) }
            if case .string(let e)? = f.properties["__error"] { reject(e); continue }
            let key: String
            switch f.properties[keyField] ?? (keyField == "id" ? f.featureID : nil) {
            case .string(let s)? where !s.trimmingCharacters(in: .whitespaces).isEmpty: key = s.trimmingCharacters(in: .whitespaces)
            case .int(let n)?: key = String(n)
            default: reject("no key: property '\(keyField)' is missing or empty"); continue
            }
            var position: Position?
            switch f.geometry {
            case nil: break
            case .point(let p)?:
                do { position = try reprojector.transform(p, from: crs, to: .cgcs2000) } catch { reject("coordinates: \(error)"); continue }
            case let g?: reject("a \(g.typeName) cannot place a record: give a Point or a building_code"); continue
            }
            var values = f.properties
            values[keyField] = nil
            values["representative_id_number"] = nil
            if let identityKey = options.identityKey, let raw = f.properties[identityField], raw != .null {
                let text: String? = switch raw {
                case .string(let s): s
                case .int(let n): String(n)
                default: nil
                }
                guard let number = text.flatMap(IdentityNumber.normalized) else {
                    reject("field '\(identityField)' is not an 18-character ID number with a valid check character (GB 11643)"); continue
                }
                links.append(IdentityLink(identityHash: identityKey.hash(number), kind: layer.id == CoreLayers.population.id ? .person : .enterprise,
                                          entityKey: key))
            }
            records.append(RecordSource(row: f.row, key: key, values: values, position: position))
        }
        progress("placing and writing \(records.count) \(layer.id) records (\(options.mode.rawValue), valid from \(options.validFrom))", 0, 0)
        let summary = try store.applyRecords(layer: layer.id, records: records, alreadyRejected: report.rejected, mode: options.mode,
                                             validFrom: options.validFrom, toleranceMetres: options.toleranceMetres,
                                             skipBad: options.skipBad,
                                             identities: options.identityKey.map { IdentityLinks(links: links, keyFingerprint: $0.fingerprint) }) {
            progress("writing", $0, records.count)
        }
        let refused = Set(summary.versions.rejected.map(\.row))
        let written = Set(records.filter { !refused.contains($0.row) }.map(\.key))
        report.identityLinks = Set(links.filter { written.contains($0.entityKey) }).count
        report.versions = summary.versions
        report.rejected = summary.versions.rejected
        report.placement = summary
        report.seconds = Date().timeIntervalSince(start)
        return report
    }

    /// The key of a new layer when none is given: `entity_code`, else the features' `id`.
    static func defaultKey(_ features: [SourceFeature]) throws -> String {
        var survey = ImportSurvey()  // one rule for both paths
        survey.hasEntityCode = features.contains { $0.properties["entity_code"] != nil }
        survey.hasID = features.contains { $0.properties["id"] != nil || $0.featureID != nil }
        return try survey.defaultKey()
    }

    /// A new layer's catalog entry, its schema inferred from the checked records.
    static func newLayer(_ survey: ImportSurvey, keyField: String, file: String, options: ImportOptions) throws -> LayerInfo {
        do {
            let fields = try survey.schema.fields(keyField: keyField)
            let type = try survey.schema.geometryType()
            return LayerInfo(id: options.layer, title: options.title ?? options.layer,
                             description: "Imported from \((file as NSString).lastPathComponent) (valid from \(options.validFrom))",
                             geometryType: type, fields: fields, ownerDepartment: options.owner, shareClass: options.shareClass,
                             minZoom: options.minZoom ?? (survey.checked > 20_000 ? 14 : 0), maxZoom: 16)
        } catch let e as StoreError {
            throw ImportError(e.message)
        }
    }
}

/// What checking one source row gives: a record ready to store (in EPSG:4490), or why not.
enum RowOutcome {
    case record(KeyedRecord, repaired: Bool, box: BBox)
    case rejected(RejectedRow)
}

/// Checks rows of one chunk: key present, geometry reprojected to EPSG:4490, invalid geometry
/// repaired with make-valid (small simple rings skip GEOS: `SimpleRingCheck`).
final class RowChecker {
    let crs: CRS
    /// Buildings: a repair that splits a footprint into several polygons is refused.
    let onlyOnePolygon: Bool
    private let reprojector = Reprojector()
    private let engine = GeometryEngine()

    init(crs: CRS, onlyOnePolygon: Bool) { self.crs = crs; self.onlyOnePolygon = onlyOnePolygon }

    /// `keyField` nil: the key is not known yet (a survey choosing it) and not checked.
    func check(_ f: SourceFeature, keyField: String?, keepKey: Bool) -> RowOutcome {
        func reject(_ reason: String) -> RowOutcome { .rejected(RejectedRow(row: f.row, reason: reason)) }
        if case .string(let e)? = f.properties["__error"] { return reject(e) }
        guard var g = f.geometry else { return reject("no geometry") }
        var key = ""
        if let keyField {
            switch f.properties[keyField] ?? (keyField == "id" ? f.featureID : nil) {
            case .string(let s)? where !s.trimmingCharacters(in: .whitespaces).isEmpty: key = s
            case .int(let n)?: key = String(n)
            case .double(let d)? where d == d.rounded() && abs(d) < 9e15: key = String(Int64(d))
            default: return reject("no key: property '\(keyField)' is missing or empty")
            }
        }
        var repaired = false
        do {
            g = try reprojector.transform(g, from: crs, to: .cgcs2000)
            switch g {
            case .point, .multiPoint: break  // always valid
            case .polygon(let p) where SimpleRingCheck.isCertainlyValid(p): break
            default:
                let v = try engine.validity(g)
                if !v.isValid {
                    guard let fixed = try engine.makeValid(g) else {
                        return reject("invalid geometry (\(v.reason ?? "?")) cannot be repaired")
                    }
                    // make-valid may split a bow-tie into parts (a building footprint must stay one
                    // polygon) and keeps collapsed spikes as lines (dropped: they have no area).
                    let parts = fixed.polygons
                    if case .polygon = g, parts.count == 1 {
                        g = .polygon(parts[0])
                    } else if !parts.isEmpty && !g.polygons.isEmpty && !onlyOnePolygon {
                        g = .multiPolygon(parts)
                    } else if g.polygons.isEmpty, !fixed.isEmpty {
                        g = fixed  // a line repaired into a line
                    } else {
                        return reject("invalid geometry (\(v.reason ?? "?")) repairs into \(parts.count) polygons, not one")
                    }
                    repaired = true
                }
            }
        } catch {
            return reject("geometry: \(error)")
        }
        guard let box = g.bbox else { return reject("empty geometry") }
        var values = f.properties
        if !keepKey, let keyField { values[keyField] = nil }
        return .record(KeyedRecord(row: f.row, key: key, values: values, geometry: g), repaired: repaired, box: box)
    }
}
