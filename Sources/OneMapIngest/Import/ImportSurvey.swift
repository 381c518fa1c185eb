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
    var chunks = 0
    /// The first chunk as the import would write it (checked with the key the file's first chunk
    /// offers, or the given one): a file of one chunk is then read and checked once, not twice.
    private var firstChunk: (chunk: RecordChunk, repaired: Int, key: String)?

    /// The whole file's records when it was one chunk checked with `keyField`, and their repairs.
    func onlyChunk(keyField: String) -> (chunk: RecordChunk, repaired: Int)? {
        guard chunks == 1, let firstChunk, firstChunk.key == keyField else { return nil }
        return (firstChunk.chunk, firstChunk.repaired)
    }

    /// `keyField` nil: no key was given; rows are not checked for one (see `defaultKey`).
    static func read(_ reader: any FeatureFileReader, crs: CRS, keyField: String?, onlyOnePolygon: Bool, chunkSize: Int) throws -> ImportSurvey {
        var survey = ImportSurvey()
        try reader.forEachChunk(size: chunkSize) { features in
            survey.features += features.count
            if !survey.hasEntityCode { survey.hasEntityCode = features.contains { $0.properties["entity_code"] != nil } }
            if !survey.hasID { survey.hasID = features.contains { $0.properties["id"] != nil || $0.featureID != nil } }
            survey.chunks += 1
            // The first chunk is checked with the key it offers: if it is the whole file, that is
            // the key `defaultKey` will choose.
            let key = keyField ?? (survey.chunks == 1 ? survey.offeredKey : nil)
            var repairs = ImportReport()
            let chunk = try DepartmentImport.check(features, crs: crs, keyField: key, keepKey: true, onlyOnePolygon: onlyOnePolygon,
                                                   surveyed: false, report: &repairs)
            if survey.chunks == 1, let key { survey.firstChunk = (chunk, repairs.repaired, key) } else { survey.firstChunk = nil }
            survey.checked += chunk.records.count
            survey.schema.add(chunk.records)
            if let b = ImportChecks.box(of: chunk.records) {
                if survey.transformedBox == nil { survey.transformedBox = b } else { survey.transformedBox!.extend(b) }
            }
        }
        return survey
    }

    /// `entity_code` when some feature has one, else `id` when some feature has one (so far).
    var offeredKey: String? { hasEntityCode ? "entity_code" : hasID ? "id" : nil }

    /// The key of a new layer when none is given: `entity_code`, else the features' `id`.
    func defaultKey() throws -> String {
        if let offeredKey { return offeredKey }
        throw ImportError("no key field: give --key FIELD, a property that identifies each entity across imports")
    }
}
