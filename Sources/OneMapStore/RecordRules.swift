import Foundation
import OneMapGeo

/// A person or business record read from a department's file, before it is placed in a building.
public struct RecordSource: Sendable {
    /// Row or feature number in the source, for messages.
    public var row: Int
    /// The department's key: person key, or the business's credit code.
    public var key: String
    /// Fields by name; `building_code` places the record by building key.
    public var values: [String: FieldValue]
    /// Where the record is (EPSG:4490), when the file gives coordinates instead of a building key.
    public var position: Position?

    public init(row: Int, key: String, values: [String: FieldValue], position: Position?) {
        self.row = row; self.key = key; self.values = values; self.position = position
    }
}

/// What a person or business import did: its versions, and how records were placed.
public struct RecordImportSummary: Sendable {
    public var versions = VersionSummary()
    /// Placed by their `building_code`.
    public var byBuildingKey = 0
    /// Placed in the building whose footprint contains their coordinates.
    public var insideBuilding = 0
    /// Placed in the nearest building within the tolerance.
    public var nearestBuilding = 0
    public init() {}
}

/// The two kinds of department records placed in buildings, and their columns.
public enum RecordKind: Sendable {
    case population, businesses

    package var table: String { self == .population ? "population" : "businesses" }
    package var key: String { self == .population ? "person_key" : "credit_code" }
    /// Attribute columns (after the key) compared between versions.
    package var columns: [String] {
        switch self {
        case .population: ["building_code", "sex", "birth_year", "household_id", "registration", "moved_in", "moved_out", "masked_identity"]
        case .businesses: ["building_code", "name", "industry", "employees", "registered", "cancelled"]
        }
    }
    /// The fact columns that start and end a record.
    package var factStart: String { self == .population ? "moved_in" : "registered" }
    package var factEnd: String { self == .population ? "moved_out" : "cancelled" }
}

/// What a record must be to be stored, the same in every backend: a StoreError names the field and
/// what is wrong.
public enum RecordRules {
    /// The record's columns, checked: a StoreError names the field and what is wrong.
    package static func values(_ kind: RecordKind, _ r: KeyedRecord) throws -> [SQLValue] {
        func text(_ name: String, required: Bool = true) throws -> SQLValue {
            switch r.values[name] {
            case .string(let s)? where !s.trimmingCharacters(in: .whitespaces).isEmpty: return .text(s.trimmingCharacters(in: .whitespaces))
            case .int(let n)?: return .text(String(n))
            case nil, .null?, .string?: if required { throw StoreError("field '\(name)' is missing") } else { return .null }
            default: throw StoreError("field '\(name)' must be text")
            }
        }
        func date(_ name: String, required: Bool = true) throws -> SQLValue {
            let v = try text(name, required: required)
            if case .text(let s) = v, !ISODate.isValid(s) { throw StoreError("field '\(name)' value '\(s)' is not a YYYY-MM-DD date") }
            return v
        }
        func integer(_ name: String, _ range: ClosedRange<Int64>) throws -> SQLValue {
            let v = try LayerSchema.sqlValue(r.values[name], as: .integer, field: name)
            guard case .int(let n) = v else { throw StoreError("field '\(name)' is missing") }
            guard range.contains(n) else { throw StoreError("field '\(name)' value \(n) is outside \(range.lowerBound)-\(range.upperBound)") }
            return v
        }
        guard case .string(let building)? = r.values["building_code"], !building.isEmpty else {
            throw StoreError("not placed in a building")
        }
        switch kind {
        case .population:
            let sex: String
            switch try text("sex") {
            case .text("M"), .text("男"), .text("m"): sex = "M"
            case .text("F"), .text("女"), .text("f"): sex = "F"
            case let v: throw StoreError("field 'sex' value \(v) is not M/F (男/女)")
            }
            let registration = try text("registration")
            guard case .text(let reg) = registration, Registration(rawValue: reg) != nil else {
                throw StoreError("field 'registration' must be 户籍 or 流动")
            }
            return [.text(building), .text(sex), try integer("birth_year", 1880...2100), try text("household_id"), registration,
                    try date("moved_in"), try date("moved_out", required: false), .text(try maskedIdentity(r))]
        case .businesses:
            guard CreditCode.isValid(r.key) else {
                throw StoreError("credit code '\(r.key)' fails the GB 32100 check character")
            }
            let industry = try text("industry")
            guard case .text(let section) = industry, section.count == 1, ("A"..."T").contains(section) else {
                throw StoreError("field 'industry' must be a GB/T 4754 section letter A-T")
            }
            return [.text(building), try text("name"), industry, try integer("employees", 0...10_000_000),
                    try date("registered"), try date("cancelled", required: false)]
        }
    }

    /// Only a masked identity is ever stored: a file's `id_number` is masked on the way in
    /// (first 6 and last 4 characters kept), `masked_identity` must already be masked.
    package static func maskedIdentity(_ r: KeyedRecord) throws -> String {
        // A CSV column of digits-only numbers arrives as integers.
        func text(_ name: String) -> String? {
            switch r.values[name] {
            case .string(let s)?: s.isEmpty ? nil : s
            case .int(let n)?: String(n)
            default: nil
            }
        }
        if let id = text("id_number") {
            let c = Array(id.trimmingCharacters(in: .whitespaces))
            guard c.count == 18 || c.count == 15 else { throw StoreError("field 'id_number' is not a 15- or 18-character ID number") }
            return String(c.prefix(6)) + String(repeating: "*", count: c.count - 10) + String(c.suffix(4))
        }
        guard let m = text("masked_identity") else {
            throw StoreError("field 'masked_identity' (or 'id_number', masked on import) is missing")
        }
        guard m.contains("*") else { throw StoreError("field 'masked_identity' is not masked (give raw numbers as 'id_number')") }
        return m
    }

    /// The building a record describes; a StoreError names a missing or mistyped field.
    package static func building(from r: KeyedRecord, validFrom: String) throws -> Building {
        func string(_ name: String, required: Bool) throws -> String? {
            switch r.values[name] {
            case .string(let s)? where !s.isEmpty: return s
            case nil, .null?, .string?: if required { throw StoreError("field '\(name)' is missing") } else { return nil }
            default: throw StoreError("field '\(name)' must be text")
            }
        }
        func date(_ name: String, required: Bool) throws -> String? {
            guard let s = try string(name, required: required) else { return nil }
            guard ISODate.isValid(s) else { throw StoreError("field '\(name)' value '\(s)' is not a YYYY-MM-DD date") }
            return s
        }
        let floors: Int
        switch r.values["floors"] {
        case .int(let n)? where n >= 0 && n < 500: floors = Int(n)
        case .double(let d)? where d == d.rounded() && d >= 0 && d < 500: floors = Int(d)
        case .string(let s)? where Int(s.trimmingCharacters(in: .whitespaces)).map({ (0..<500).contains($0) }) == true:
            floors = Int(s.trimmingCharacters(in: .whitespaces))!
        case nil, .null?: throw StoreError("field 'floors' is missing")
        default: throw StoreError("field 'floors' must be a whole number of floors (0-499)")
        }
        guard case .polygon = r.geometry else {
            throw StoreError("geometry is a \(r.geometry.typeName); buildings need a Polygon footprint")
        }
        let demolished = try date("demolished_date", required: false)
        if let demolished, demolished <= validFrom {
            throw StoreError("demolished on \(demolished), before the valid-from day \(validFrom): leave it out of the push (replace mode closes it)")
        }
        var b = Building(entityCode: r.key, footprint: r.geometry, floors: floors, use: try string("use", required: true)!,
                         builtDate: try date("built_date", required: true)!, demolishedDate: demolished, validFrom: validFrom)
        b.validTo = nil  // an imported version stays valid until a later import changes or closes it
        return b
    }

    /// A field the layer does not have is a file-level error (a wrong file or a wrong layer).
    package static func checkFields(_ records: [KeyedRecord], against layer: LayerInfo) throws {
        let known = Set(layer.fields.map(\.name))
        let chunks = max(1, min(Parallel.cores * 4, records.count / 1000))
        let unknown = Parallel.map(chunks, minimumChunk: 1) { c in
            var out = Set<String>()
            for r in records[(records.count * c / chunks)..<(records.count * (c + 1) / chunks)] {
                for name in r.values.keys where !known.contains(name) { out.insert(name) }
            }
            return out
        }.reduce(into: Set<String>()) { $0.formUnion($1) }
        guard unknown.isEmpty else {
            throw StoreError("the file has field(s) \(unknown.sorted().map { "'\($0)'" }.joined(separator: ", ")) that layer '\(layer.id)' does not have; its fields: \(layer.fields.map(\.name).joined(separator: ", "))")
        }
    }

    /// A record's geometry as layer `layer` stores it: a single part where the layer holds multi
    /// parts is promoted; any other kind does not fit.
    package static func fitted(_ g: Geometry, to layer: LayerInfo) throws -> Geometry {
        let declared = layer.geometryType
        guard declared != .geometry && declared.rawValue != g.typeName else { return g }
        switch (declared, g) {
        case (.multiPolygon, .polygon(let p)): return .multiPolygon([p])
        case (.multiLineString, .lineString(let l)): return .multiLineString([l])
        case (.multiPoint, .point(let p)): return .multiPoint([p])
        default:
            throw StoreError("geometry is a \(g.typeName); layer '\(layer.id)' holds \(declared.rawValue) (\(g.familyName) family does not fit)")
        }
    }
}

/// What an import may write into, checked before any backend opens a transaction.
package enum ImportChecks {
    /// The layer a versioned import writes: the stored one (each chunk's fields are checked against
    /// it, `RecordRules.checkFields`) or, for an unknown id, `layer` as given (its id checked).
    /// Refuses a bad day, a layer without geometry and the core layers other than buildings.
    package static func versionTarget(_ layer: LayerInfo, existing: LayerInfo?, day: String) throws -> LayerInfo {
        guard ISODate.isValid(day) else { throw StoreError("valid-from '\(day)' is not a YYYY-MM-DD date") }
        if existing == nil { try LayerSchema.checkLayerID(layer.id) }
        let target = existing ?? layer
        guard target.isSpatial else {
            throw StoreError("layer '\(target.id)' holds records without geometry; import them with the person or business import")
        }
        if target.id != "buildings" && CoreLayers.all.contains(where: { $0.id == target.id }) {
            throw StoreError("layer '\(target.id)' is derived or maintained by the data center and cannot be imported into")
        }
        return target
    }

    /// The kind of records a person or business import writes into `layer`, its day checked.
    package static func recordKind(_ layer: String, day: String) throws -> RecordKind {
        let kind: RecordKind
        switch layer {
        case "population": kind = .population
        case "businesses": kind = .businesses
        default: throw StoreError("layer '\(layer)' does not hold person or business records")
        }
        guard ISODate.isValid(day) else { throw StoreError("valid-from '\(day)' is not a YYYY-MM-DD date") }
        return kind
    }

    /// The joint box of the records' geometries (nil: none has one).
    package static func box(of records: [KeyedRecord]) -> BBox? {
        records.reduce(nil as BBox?) { u, r in
            guard let b = r.geometry.bbox else { return u }
            guard var u else { return b }
            u.extend(b)
            return u
        }
    }
}
