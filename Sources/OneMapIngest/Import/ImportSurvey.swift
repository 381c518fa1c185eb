import OneMapGeo
import OneMapStore

/// What a first pass over a file finds before a new layer is made: how many features it holds and
/// how many check out, their schema and geometry type, their joint box and which key they can
/// offer. Only one chunk is in memory at a time; the rows are checked as the import will check
/// them (a wrong CRS is refused here, before anything is written).
struct ImportSurvey {
    var features = 0
    /// Features that pass the row checks (the key too, when it is known).
    var checked = 0
    /// The checked geometries' box in EPSG:4490.
    var transformedBox: BBox?
    var schema = SchemaSurvey()
    var hasEntityCode = false, hasID = false

    /// `keyField` nil: no key was given; rows are not checked for one (see `defaultKey`).
    static func read(_ reader: any FeatureFileReader, crs: CRS, keyField: String?, onlyOnePolygon: Bool, chunkSize: Int) throws -> ImportSurvey {
        var survey = ImportSurvey()
        try reader.forEachChunk(size: chunkSize) { features in
            survey.features += features.count
            if !survey.hasEntityCode { survey.hasEntityCode = features.contains { $0.properties["entity_code"] != nil } }
            if !survey.hasID { survey.hasID = features.contains { $0.properties["id"] != nil || $0.featureID != nil } }
            var notCounted = ImportReport()
            let chunk = try DepartmentImport.check(features, crs: crs, keyField: keyField, keepKey: true, onlyOnePolygon: onlyOnePolygon,
                                                   surveyed: false, report: &notCounted)
            survey.checked += chunk.records.count
            survey.schema.add(chunk.records)
            if let b = ImportChecks.box(of: chunk.records) {
                if survey.transformedBox == nil { survey.transformedBox = b } else { survey.transformedBox!.extend(b) }
            }
        }
        return survey
    }

    /// The key of a new layer when none is given: `entity_code`, else the features' `id`.
    func defaultKey() throws -> String {
        if hasEntityCode { return "entity_code" }
        if hasID { return "id" }
        throw ImportError("no key field: give --key FIELD, a property that identifies each entity across imports")
    }
}
