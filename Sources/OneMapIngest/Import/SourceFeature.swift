import OneMapGeo
import OneMapStore

/// One feature or row read from a department's file, before checks.
struct SourceFeature {
    /// 1-based feature number (GeoJSON) or data row number (CSV, header excluded).
    let row: Int
    let properties: [String: FieldValue]
    /// Nil when the row has no geometry (a bad row).
    let geometry: Geometry?
    /// The GeoJSON Feature's own `id` member (usable as the key with `--key id`).
    var featureID: FieldValue? = nil
}

/// A file that can be read into source features, with the CRS it declares (if any).
protocol FeatureFileReader {
    /// EPSG code declared by the file itself, if it declares one.
    var declaredEPSG: Int? { get }
    func features() throws -> [SourceFeature]
    /// The features in file order, up to `size` at a time. Readers that can (GeoJSON) hold only
    /// the current chunk in memory; the others read the whole file and hand it out in chunks.
    func forEachChunk(size: Int, _ body: ([SourceFeature]) throws -> Void) throws
}

extension FeatureFileReader {
    func forEachChunk(size: Int, _ body: ([SourceFeature]) throws -> Void) throws {
        let all = try features()
        for start in stride(from: 0, to: all.count, by: max(1, size)) {
            try body(Array(all[start..<min(all.count, start + size)]))
        }
    }
}

/// A file-level failure: unreadable, malformed, or with an impossible CRS.
public struct ImportError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
