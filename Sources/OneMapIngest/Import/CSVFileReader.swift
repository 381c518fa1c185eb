import Foundation
import OneMapGeo
import OneMapStore

/// CSV with a header row; geometry from a WKT column (`wkt`, `geometry`, `geom`, `the_geom`; EWKT's
/// `SRID=n;` declares the CRS) or from longitude/latitude (or x/y) columns as points. Column types
/// are inferred over all rows: whole numbers without leading zeros, numbers, else text.
struct CSVFileReader: FeatureFileReader {
    let path: String
    let encoding: String?
    private(set) var declaredEPSG: Int?
    private let header: [String]
    private let rows: [[String]]

    static let wktNames = ["wkt", "geometry", "geom", "the_geom", "shape"]
    static let lonNames = ["lon", "lng", "longitude", "x", "经度"]
    static let latNames = ["lat", "latitude", "y", "纬度"]

    /// `geometryOptional`: rows may have no geometry at all (records placed by a building key).
    init(path: String, encoding: String?, geometryOptional: Bool = false) throws {
        self.path = path; self.encoding = encoding
        guard let data = FileManager.default.contents(atPath: path) else { throw ImportError("cannot read \(path)") }
        let text = try TextDecoding.decode(data, encoding: encoding, what: path)
        let all = CSV.parse(text).filter { !($0.count == 1 && $0[0].isEmpty) }
        guard let h = all.first else { throw ImportError("\(path) is empty") }
        header = h.map { $0.trimmingCharacters(in: .whitespaces) }
        rows = Array(all.dropFirst())
        if let w = column(Self.wktNames), let first = rows.first(where: { w < $0.count && !$0[w].isEmpty }) {
            declaredEPSG = try? WKT.parse(first[w]).srid
        }
        guard geometryOptional || column(Self.wktNames) != nil || (column(Self.lonNames) != nil && column(Self.latNames) != nil) else {
            throw ImportError("\(path): no geometry columns; expected a WKT column (\(Self.wktNames.joined(separator: ", "))) or lon/lat columns")
        }
    }

    func column(_ names: [String]) -> Int? { header.firstIndex { names.contains($0.lowercased()) } }

    func features() throws -> [SourceFeature] {
        let wkt = column(Self.wktNames), lon = column(Self.lonNames), lat = column(Self.latNames)
        let geometryColumns = Set([wkt, wkt == nil ? lon : nil, wkt == nil ? lat : nil].compactMap { $0 })
        let types = inferTypes()
        return rows.enumerated().map { (n, r) in
            let row = n + 1
            guard r.count == header.count else {
                return SourceFeature(row: row, properties: ["__error": .string("has \(r.count) fields, the header has \(header.count)")], geometry: nil)
            }
            var props: [String: FieldValue] = [:]
            for (i, name) in header.enumerated() where !geometryColumns.contains(i) { props[name] = Self.typed(r[i], types[i]) }
            do {
                if let wkt {
                    guard !r[wkt].isEmpty else { return SourceFeature(row: row, properties: props, geometry: nil) }
                    return SourceFeature(row: row, properties: props, geometry: try WKT.parse(r[wkt]).geometry)
                }
                guard lon != nil || lat != nil else { return SourceFeature(row: row, properties: props, geometry: nil) }
                guard let lon, let lat, let x = Double(r[lon]), let y = Double(r[lat]) else {
                    if let lon, let lat, r[lon].isEmpty && r[lat].isEmpty { return SourceFeature(row: row, properties: props, geometry: nil) }
                    props["__error"] = .string("coordinates '\(lon.map { r[$0] } ?? "")', '\(lat.map { r[$0] } ?? "")' are not numbers")
                    return SourceFeature(row: row, properties: props, geometry: nil)
                }
                return SourceFeature(row: row, properties: props, geometry: .point(Position(x, y)))
            } catch {
                props["__error"] = .string("geometry: \(error)")
                return SourceFeature(row: row, properties: props, geometry: nil)
            }
        }
    }

    enum ColumnType { case integer, number, text }

    private func inferTypes() -> [ColumnType] {
        header.indices.map { i in
            var type = ColumnType.integer
            for r in rows where i < r.count {
                let v = r[i].trimmingCharacters(in: .whitespaces)
                if v.isEmpty { continue }
                let leadingZero = v.count > 1 && (v.hasPrefix("0") || v.hasPrefix("-0")) && !v.contains(".")
                if type == .integer, Int64(v) != nil, !leadingZero { continue }
                if Double(v) != nil, !leadingZero { type = .number; continue }
                return .text
            }
            return type
        }
    }

    static func typed(_ raw: String, _ type: ColumnType) -> FieldValue {
        let v = raw.trimmingCharacters(in: .whitespaces)
        if v.isEmpty { return .null }
        switch type {
        case .integer: return Int64(v).map { .int($0) } ?? .string(raw)
        case .number: return Double(v).map { .double($0) } ?? .string(raw)
        case .text: return .string(raw)
        }
    }
}
