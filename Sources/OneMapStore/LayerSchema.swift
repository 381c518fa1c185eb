import OneMapGeo

/// Schemas of layers created by import: inferred from a file's values, and every later file
/// checked against them.
public enum LayerSchema {
    /// Columns every user layer table has; a file field may not take these names.
    static let reservedColumns: Set<String> = ["fid", "entity_key", "valid_from", "valid_to", "geom"]

    /// Checks a new layer id: lower-case letters, digits and `_`, starting with a letter, at most 40.
    public static func checkLayerID(_ id: String) throws {
        let ok = !id.isEmpty && id.count <= 40 && id.first!.isASCII && id.first!.isLetter
            && id.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
        guard ok else {
            throw StoreError("layer name '\(id)' is not allowed: use lower-case letters, digits and _ (start with a letter, at most 40)")
        }
        guard !CoreLayers.all.contains(where: { $0.id == id }) else { throw StoreError("layer name '\(id)' is taken by a core layer") }
    }

    /// Checks a field name taken from a file (it becomes a quoted column name).
    static func checkFieldName(_ name: String) throws {
        guard !name.isEmpty, name.count <= 63,
              !name.unicodeScalars.contains(where: { $0.value < 0x20 || $0 == "\"" || $0 == "\u{7F}" }) else {
            throw StoreError("field name '\(name)' is not allowed (empty, longer than 63 characters, or containing quotes or control characters)")
        }
        guard !reservedColumns.contains(name.lowercased()) else {
            throw StoreError("field name '\(name)' is reserved (\(reservedColumns.sorted().joined(separator: ", "))); rename it in the file")
        }
    }

    /// Field types from the values in `records`: integers, numbers (integers mixed with decimals),
    /// booleans, dates (every value `YYYY-MM-DD`), else text. The key field comes first, as text.
    /// Other fields in name order; a field that is always null is text.
    public static func inferFields(_ records: [KeyedRecord], keyField: String) throws -> [FieldInfo] {
        var survey = SchemaSurvey()
        survey.add(records)
        return try survey.fields(keyField: keyField)
    }

    /// The geometry type a layer is declared with: one type if all records share it, else the
    /// multi type of their family (Polygon + MultiPolygon -> MultiPolygon); mixed families are refused.
    public static func inferGeometryType(_ records: [KeyedRecord]) throws -> LayerGeometryType {
        var survey = SchemaSurvey()
        survey.add(records)
        return try survey.geometryType()
    }

    /// The value to store for `v` in a field of type `type`, or a message saying why it cannot be.
    package static func sqlValue(_ v: FieldValue?, as type: FieldType, field: String) throws -> SQLValue {
        func bad(_ shown: String) -> StoreError { StoreError("field '\(field)' value \(shown) is not \(type.article)") }
        guard let v else { return .null }
        switch (type, v) {
        case (_, .null): return .null
        case (.string, .string(let s)): return .text(s)
        case (.string, .int(let n)): return .text(String(n))
        case (.string, .double(let d)): return .text(String(d))
        case (.string, .bool(let b)): return .text(b ? "true" : "false")
        case (_, .string(let s)) where s.trimmingCharacters(in: .whitespaces).isEmpty: return .null
        case (.integer, .int(let n)): return .int(n)
        case (.integer, .double(let d)) where d == d.rounded() && abs(d) < 9e15: return .int(Int64(d))
        case (.integer, .string(let s)): if let n = Int64(s.trimmingCharacters(in: .whitespaces)) { return .int(n) }; throw bad("'\(s)'")
        case (.number, .int(let n)): return .double(Double(n))
        case (.number, .double(let d)): return .double(d)
        case (.number, .string(let s)):
            if let d = Double(s.trimmingCharacters(in: .whitespaces)), d.isFinite { return .double(d) }; throw bad("'\(s)'")
        case (.boolean, .bool(let b)): return .int(b ? 1 : 0)
        case (.boolean, .int(let n)) where n == 0 || n == 1: return .int(n)
        case (.boolean, .string(let s)):
            switch s.lowercased() { case "true", "1", "t", "y", "yes": return .int(1); case "false", "0", "f", "n", "no": return .int(0); default: throw bad("'\(s)'") }
        case (.date, .string(let s)): if ISODate.isValid(s) { return .text(s) }; throw bad("'\(s)'")
        case (_, .int(let n)): throw bad(String(n))
        case (_, .double(let d)): throw bad(String(d))
        case (_, .bool(let b)): throw bad(b ? "true" : "false")
        }
    }
}

/// Which kinds of non-null values a field has shown.
/// A new layer's schema gathered from its records chunk by chunk (a file need not fit in memory):
/// the kinds of value each field holds and the geometry types.
public struct SchemaSurvey: Sendable {
    private var kinds: [String: ValueKinds] = [:]
    private var types: Set<String> = []
    public init() {}

    public mutating func add(_ records: [KeyedRecord]) {
        // Kinds per slice on all cores, then merged.
        let chunks = max(1, min(Parallel.cores * 4, records.count / 1000))
        let partial: [[String: ValueKinds]] = Parallel.map(chunks, minimumChunk: 1) { c in
            var kinds: [String: ValueKinds] = [:]
            for r in records[(records.count * c / chunks)..<(records.count * (c + 1) / chunks)] {
                for (name, v) in r.values { kinds[name, default: ValueKinds()].add(v) }
            }
            return kinds
        }
        for p in partial { kinds.merge(p) { $0.merged($1) } }
        var last = ""
        for r in records {
            // Files mostly hold one type: a set insert (a hash) only when the type changes.
            let t = r.geometry.typeName
            if t != last { types.insert(t); last = t }
        }
    }

    /// The fields: the key first, as text, then the others in name order (dictionary order is
    /// not the file's: sorted for a stable schema).
    public func fields(keyField: String) throws -> [FieldInfo] {
        var kinds = self.kinds
        kinds[keyField] = nil  // the key may be among the values; it is the first field, as text
        var seen: Set<String> = [keyField.lowercased()]
        var fields = [FieldInfo(keyField, .string, "Entity key (from the file's '\(keyField)')")]
        for name in kinds.keys.sorted() {
            try LayerSchema.checkFieldName(name)
            guard seen.insert(name.lowercased()).inserted else {
                throw StoreError("field names '\(name)' and another differ only in case; SQL column names must differ")
            }
            fields.append(FieldInfo(name, kinds[name]!.type, "From the imported file"))
        }
        return fields
    }

    public func geometryType() throws -> LayerGeometryType {
        let family = Set(types.map { $0.hasPrefix("Multi") ? String($0.dropFirst(5)) : $0 })
        guard family.count <= 1 else {
            throw StoreError("the file mixes geometry types (\(types.sorted().joined(separator: ", "))); import each type into its own layer")
        }
        guard let f = family.first else { return .polygon }
        if types.count == 1, let t = LayerGeometryType(rawValue: types.first!) { return t }
        return LayerGeometryType(rawValue: "Multi" + f) ?? .geometry
    }
}

private struct ValueKinds: Sendable {
    var int = false, double = false, bool = false, date = false, text = false

    mutating func add(_ v: FieldValue) {
        switch v {
        case .null: break
        case .int: int = true
        case .double: double = true
        case .bool: bool = true
        case .string(let s): if ISODate.isValid(s) { date = true } else if !s.isEmpty { text = true }
        }
    }

    func merged(_ o: ValueKinds) -> ValueKinds {
        ValueKinds(int: int || o.int, double: double || o.double, bool: bool || o.bool, date: date || o.date, text: text || o.text)
    }

    var type: FieldType {
        let any = [int || double, bool, date, text].filter { $0 }.count
        if any != 1 { return .string }
        if double { return .number }
        if int { return .integer }
        if bool { return .boolean }
        if date { return .date }
        return .string
    }
}

extension FieldType {
    /// "an integer", "a number", ... for messages.
    public var article: String {
        switch self {
        case .string: "text"
        case .integer: "an integer"
        case .number: "a number"
        case .boolean: "true or false"
        case .date: "a YYYY-MM-DD date"
        }
    }
}
