import OneMapGeo

/// One stored version of a person, business or building record: its row id, valid time and
/// fields by name (as the layer's catalog names them).
public struct RecordVersion: Sendable, Hashable {
    public let id: Int64
    public let validFrom: String?
    public let validTo: String?
    public let fields: [String: FieldValue]

    package init(id: Int64, validFrom: String?, validTo: String?, fields: [String: FieldValue]) {
        self.id = id; self.validFrom = validFrom; self.validTo = validTo; self.fields = fields
    }

    /// In force on `day`.
    public func holds(on day: String) -> Bool { (validFrom ?? "") <= day && (validTo.map { day < $0 } ?? true) }

    public func text(_ name: String) -> String? { if case .string(let s) = fields[name] { s } else { nil } }
}

/// The rows a profile or a relation graph is made of (one-person / one-enterprise files).
public protocol ProfileStore: Sendable {
    /// Every version of a person (population) or business (businesses) record by its key, in time order.
    func recordVersions(layer: String, key: String) throws -> [RecordVersion]
    /// Every version of the buildings with these entity codes, in time order.
    func buildingVersions(codes: [String]) throws -> [RecordVersion]
    /// Person or business versions in force on `day` at a building.
    func records(layer: String, atBuilding code: String, on day: String) throws -> [RecordVersion]
    /// Person versions of a household in force on `day`.
    func householdMembers(_ household: String, on day: String) throws -> [RecordVersion]
    /// Every version of an administrative area by its code, in time order.
    func areaVersions(code: String) throws -> [RecordVersion]
}

/// Profile rows in SQL, once for both backends.
package enum ProfileLedger {
    static let recordColumns: [String: [(String, FieldType)]] = [
        "population": [("person_key", .string), ("building_code", .string), ("sex", .string), ("birth_year", .integer), ("household_id", .string),
                       ("registration", .string), ("moved_in", .date), ("moved_out", .date), ("masked_identity", .string)],
        "businesses": [("credit_code", .string), ("name", .string), ("industry", .string), ("employees", .integer), ("registered", .date),
                       ("cancelled", .date), ("building_code", .string)],
        "admin_areas": [("code", .string), ("name", .string), ("level", .string), ("parent_code", .string), ("synthetic", .boolean)],
        "buildings": [("entity_code", .string), ("floors", .integer), ("use", .string), ("built_date", .date), ("demolished_date", .date),
                      ("township_code", .string), ("cx", .number), ("cy", .number), ("population", .integer), ("businesses", .integer)],
    ]

    private static func columns(_ table: String) throws -> [(String, FieldType)] {
        guard let c = recordColumns[table] else { throw StoreError("layer '\(table)' has no profiles; use population or businesses") }
        return c
    }

    private static func read(_ c: any LedgerConnection, table: String, where condition: String, _ args: [SQLValue]) throws -> [RecordVersion] {
        let cols = try columns(table)
        return try c.rows("SELECT id, valid_from, valid_to, \(cols.map(\.0).joined(separator: ", ")) FROM \(table) t WHERE \(condition) ORDER BY valid_from, id",
                          args) { r in
            var fields: [String: FieldValue] = [:]
            for (i, (name, type)) in cols.enumerated() { fields[name] = r.fieldValue(3 + i, as: type) }
            return RecordVersion(id: r.int(0), validFrom: r.text(1), validTo: r.text(2), fields: fields)
        }
    }

    private static let valid = "(t.valid_from IS NULL OR t.valid_from <= ?2) AND (t.valid_to IS NULL OR t.valid_to > ?2)"

    package static func versions(_ c: any LedgerConnection, layer: String, key: String) throws -> [RecordVersion] {
        let keyColumn = layer == "population" ? "person_key" : "credit_code"
        guard layer == "population" || layer == "businesses" else { throw StoreError("layer '\(layer)' has no profiles; use population or businesses") }
        return try read(c, table: layer, where: "t.\(keyColumn) = ?1", [.text(key)])
    }

    package static func buildings(_ c: any LedgerConnection, codes: [String]) throws -> [RecordVersion] {
        guard !codes.isEmpty else { return [] }
        let list = codes.indices.map { "?\($0 + 1)" }.joined(separator: ", ")
        return try read(c, table: "buildings", where: "t.entity_code IN (\(list))", codes.map { .text($0) })
    }

    package static func atBuilding(_ c: any LedgerConnection, layer: String, code: String, on day: String) throws -> [RecordVersion] {
        guard layer == "population" || layer == "businesses" else { throw StoreError("layer '\(layer)' has no profiles; use population or businesses") }
        return try read(c, table: layer, where: "t.building_code = ?1 AND \(valid)", [.text(code), .text(day)])
    }

    package static func areas(_ c: any LedgerConnection, code: String) throws -> [RecordVersion] {
        try read(c, table: "admin_areas", where: "t.code = ?1", [.text(code)])
    }

    package static func household(_ c: any LedgerConnection, _ household: String, on day: String) throws -> [RecordVersion] {
        try read(c, table: "population", where: "t.household_id = ?1 AND \(valid)", [.text(household), .text(day)])
    }
}
