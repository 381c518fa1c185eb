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

/// Building codes collected while writing records.
final class TouchedBuildings {
    var codes = Set<String>()
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

/// The person and business tables for the version rules. A record's version holds while it is at
/// one building with the same attributes; validity [valid_from, valid_to) is what counts use, the
/// facts (moved_in/moved_out, registered/cancelled) are kept as given.
struct RecordVersionRows: VersionedRows {
    /// Column values in `columns` order, the version's first day and its end (the fact end, if any).
    struct Row {
        let key: String
        let values: [SQLValue]
        let validFrom: String
        let validTo: String?
    }

    let kind: Kind
    let day: String
    private let insert, current, buildingOf: Statement
    private let versions: VersionStatements
    /// Buildings whose records this import changed (for refreshing only their counts).
    let touched = TouchedBuildings()

    enum Kind {
        case population, businesses

        var table: String { self == .population ? "population" : "businesses" }
        var key: String { self == .population ? "person_key" : "credit_code" }
        /// Attribute columns (after the key) compared between versions.
        var columns: [String] {
            switch self {
            case .population: ["building_code", "sex", "birth_year", "household_id", "registration", "moved_in", "moved_out", "masked_identity"]
            case .businesses: ["building_code", "name", "industry", "employees", "registered", "cancelled"]
            }
        }
        /// The fact columns that start and end a record.
        var factStart: String { self == .population ? "moved_in" : "registered" }
        var factEnd: String { self == .population ? "moved_out" : "cancelled" }
    }

    init(kind: Kind, connection c: SQLiteConnection, day: String) throws {
        self.kind = kind; self.day = day
        let cols = [kind.key] + kind.columns + ["valid_from", "valid_to"]
        insert = try c.prepare("INSERT INTO \(kind.table)(\(cols.joined(separator: ", "))) VALUES (\(cols.map { _ in "?" }.joined(separator: ",")))")
        current = try c.prepare("SELECT id, valid_from, \(kind.columns.joined(separator: ", ")) FROM \(kind.table) WHERE \(kind.key) = ? AND valid_to IS NULL")
        versions = try VersionStatements(table: kind.table, id: "id", key: kind.key, connection: c)
        buildingOf = try c.prepare("SELECT building_code FROM \(kind.table) WHERE id = ?")
    }

    private func touch(_ id: Int64) throws {
        buildingOf.reset()
        defer { buildingOf.reset() }
        try buildingOf.bind([.int(id)])
        if try buildingOf.step(), let code = buildingOf.text(0) { touched.codes.insert(code) }
    }

    func row(for r: KeyedRecord) throws -> Row {
        let values = try Self.values(kind, r)
        let start = values[kind.columns.firstIndex(of: kind.factStart)!]
        let end = values[kind.columns.firstIndex(of: kind.factEnd)!]
        guard case .text(let from) = start else { throw StoreError("field '\(kind.factStart)' is missing") }
        var to: String?
        if case .text(let e) = end {
            guard e > from else { throw StoreError("field '\(kind.factEnd)' \(e) is not after '\(kind.factStart)' \(from)") }
            to = e
        }
        // A new record counts from its own start (a person who moved in in 2015 is there in 2020).
        return Row(key: r.key, values: values, validFrom: from, validTo: to)
    }

    func ended(_ row: Row, onOrBefore day: String) -> String? {
        row.validTo.flatMap { $0 <= day ? $0 : nil }
    }

    func current(_ key: String, comparedWith row: Row) throws -> (id: Int64, from: String, same: Bool)? {
        current.reset()
        defer { current.reset() }
        try current.bind([.text(key)])
        guard try current.step() else { return nil }
        var same = true
        for (i, v) in row.values.enumerated() where same {
            let col = Int32(2 + i)
            switch v {
            case .null: same = current.isNull(col)
            case .int(let n): same = !current.isNull(col) && current.int(col) == n
            case .text(let t): same = current.text(col) == t
            case .double, .blob: same = false
            }
        }
        return (current.int(0), current.text(1) ?? "", same)
    }

    func newestDay(_ key: String) throws -> String? { try versions.newestDay(key) }
    func close(_ id: Int64, on day: String) throws { try touch(id); try versions.close(id, on: day) }
    func remove(_ id: Int64) throws { try touch(id); try versions.remove(id) }
    func openVersions(onOrBefore day: String) throws -> [(id: Int64, key: String, from: String)] {
        try versions.openVersions(onOrBefore: day)
    }

    /// Inserts a version. A changed record's new version starts on the import day (the applier has
    /// closed the previous one that day); a new record's starts at its own fact start.
    func insert(_ row: Row) throws {
        insert.reset()
        defer { insert.reset() }
        try insert.bind(1, .text(row.key))
        for (i, v) in row.values.enumerated() { try insert.bind(2 + i, v) }
        let changed = try versions.newestDay(row.key) != nil
        let from = changed ? max(day, row.validFrom) : row.validFrom
        if let to = row.validTo, to <= from {
            throw StoreError("record '\(row.key)': its end \(to) is not after its start \(from)")
        }
        try insert.bind(2 + row.values.count, .text(from))
        try insert.bind(3 + row.values.count, row.validTo.map { .text($0) } ?? .null)
        try insert.step()
        if case .text(let code) = row.values[0] { touched.codes.insert(code) }
    }

    /// The record's columns, checked: a StoreError names the field and what is wrong.
    static func values(_ kind: Kind, _ r: KeyedRecord) throws -> [SQLValue] {
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
    static func maskedIdentity(_ r: KeyedRecord) throws -> String {
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
}
