import Foundation

/// A table as a copy between backends sees it: its name, its columns with their kinds, in key
/// order. The same logical layout in every backend, so a database copied from one to another
/// holds the same rows, ids and hashes.
public struct CopyTable: Sendable, Hashable {
    public enum Kind: Sendable, Hashable { case int, double, text, blob, geometry }
    public let name: String
    public let columns: [String]
    public let kinds: [Kind]
    /// The columns the rows are ordered by.
    public let key: String

    package init(_ name: String, key: String, _ columns: [(String, Kind)]) {
        self.name = name; self.key = key
        self.columns = columns.map(\.0); self.kinds = columns.map(\.1)
    }

    /// The column names, quoted for SQL.
    package var quotedColumns: [String] { columns.map { "\"" + $0.replacingOccurrences(of: "\"", with: "\"\"") + "\"" } }
}

/// What a backend gives and takes for `onemap copy`.
public protocol DatabaseCopying: AnyObject {
    /// The rows of `table` in key order; geometry columns as WKB (little-endian, 2D).
    func copyRows(of table: CopyTable, _ body: ([SQLValue]) throws -> Void) throws
    /// How many rows `table` holds.
    func rowCount(of table: CopyTable) throws -> Int
    /// Fills this new, empty database with every table of `source`, rows and ids as they are
    /// (derived counts, memberships and the audit chain included), in one transaction; returns
    /// the tables copied. `progress`: the table being copied and the rows copied so far.
    func restore(from source: any OneMapDatabase, progress: (String, Int) -> Void) throws -> [CopyTable]
}

/// The tables of a OneMap database, in the order a copy writes them (referenced before referencing).
public enum CopySchema {
    public static let core: [CopyTable] = [
        CopyTable("departments", key: "code", [("code", .text), ("name", .text), ("role", .text)]),
        CopyTable("layers", key: "", [("id", .text), ("title", .text), ("description", .text), ("geometry_type", .text), ("fields_json", .text),
                                      ("owner_department", .text), ("share_class", .text), ("min_zoom", .int), ("max_zoom", .int),
                                      ("updated_at", .text), ("open", .int)]),
        CopyTable("admin_areas", key: "id", [("id", .int), ("code", .text), ("level", .text), ("parent_code", .text), ("name", .text),
                                             ("population", .int), ("label_x", .double), ("label_y", .double), ("valid_from", .text),
                                             ("valid_to", .text), ("synthetic", .int), ("geom", .geometry)]),
        CopyTable("buildings", key: "id", [("id", .int), ("entity_code", .text), ("valid_from", .text), ("valid_to", .text), ("floors", .int),
                                           ("use", .text), ("built_date", .text), ("demolished_date", .text), ("cx", .double), ("cy", .double),
                                           ("township_code", .text), ("population", .int), ("businesses", .int), ("geom", .geometry)]),
        CopyTable("population", key: "id", [("id", .int), ("person_key", .text), ("building_code", .text), ("sex", .text), ("birth_year", .int),
                                            ("household_id", .text), ("registration", .text), ("moved_in", .text), ("moved_out", .text),
                                            ("masked_identity", .text), ("valid_from", .text), ("valid_to", .text)]),
        CopyTable("businesses", key: "id", [("id", .int), ("credit_code", .text), ("name", .text), ("industry", .text), ("employees", .int),
                                            ("registered", .text), ("cancelled", .text), ("building_code", .text), ("valid_from", .text),
                                            ("valid_to", .text)]),
        CopyTable("building_areas", key: "area_id, building_id", [("area_id", .int), ("building_id", .int)]),
        CopyTable("derived_state", key: "key", [("key", .text), ("value", .text)]),
        CopyTable("api_keys", key: "id", [("id", .int), ("department", .text), ("key_hash", .text), ("prefix", .text), ("label", .text),
                                          ("created_at", .text), ("expires_at", .text), ("revoked_at", .text)]),
        CopyTable("audit_log", key: "seq", [("seq", .int), ("at", .text), ("principal", .text), ("action", .text), ("endpoint", .text),
                                            ("layer", .text), ("grant_id", .int), ("purpose", .text), ("area", .text), ("datetime", .text),
                                            ("rows", .int), ("client", .text), ("outcome", .text), ("prev_hash", .text), ("hash", .text),
                                            ("count", .int)]),
        CopyTable("audit_checkpoints", key: "id", [("id", .int), ("kind", .text), ("first_seq", .int), ("last_seq", .int),
                                                   ("first_prev_hash", .text), ("last_hash", .text), ("records", .int), ("signed_at", .text),
                                                   ("archive", .text), ("key_id", .text), ("signature", .text)]),
        CopyTable("change_extents", key: "seq", [("seq", .int), ("layer", .text), ("from_day", .text), ("min_x", .double), ("min_y", .double),
                                                 ("max_x", .double), ("max_y", .double)]),
    ]

    /// A department layer's table (`layer_<id>`): key, valid time, its attributes, geometry.
    public static func userLayer(_ layer: LayerInfo) -> CopyTable {
        let attrs = layer.fields.dropFirst().map { f -> (String, CopyTable.Kind) in
            switch f.type {
            case .integer, .boolean: (f.name, .int)
            case .number: (f.name, .double)
            case .string, .date: (f.name, .text)
            }
        }
        return CopyTable("layer_\(layer.id)", key: "fid", [("fid", .int), ("entity_key", .text), ("valid_from", .text), ("valid_to", .text)] + attrs + [("geom", .geometry)])
    }

    /// Every table of a database with these layers; applications and problem reports after the
    /// department layers they may name.
    public static func tables(layers: [LayerInfo]) -> [CopyTable] {
        let user = layers.filter { l in l.isSpatial && !CoreLayers.all.contains { $0.id == l.id } }.map(userLayer)
        return core + user + [applications] + ProblemLedger.copyTables + [SupplyLedger.copyTable, WebhookLedger.copyTable]
            + IdentityLedger.copyTables
    }

    public static let applications = CopyTable("applications", key: "id", [
        ("id", .int), ("department", .text), ("layer", .text), ("fields_json", .text), ("purpose", .text), ("area_codes", .text),
        ("area_wkb", .blob), ("valid_from", .text), ("valid_to", .text), ("status", .text), ("submitted_at", .text),
        ("decided_by", .text), ("decided_at", .text), ("decision_note", .text), ("uses", .text)])
}
