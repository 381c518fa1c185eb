/// How a versioned layer is laid out for change lists, the same in every backend: its table, id
/// and key columns, and the attribute columns reported before/after (derived counts are not
/// attributes) with the names they are reported under and their types.
package struct VersionedLayout {
    package let table: String
    package let id: String
    package let key: String
    /// Column names as SQL (quoted where a department named them).
    package let columns: [String]
    package let names: [String]
    package let types: [FieldType]

    package static let core: [String: VersionedLayout] = [
        "buildings": VersionedLayout(table: "buildings", id: "id", key: "entity_code",
                                     columns: ["entity_code", "floors", "use", "built_date", "demolished_date", "valid_from", "valid_to"],
                                     types: [.string, .integer, .string, .date, .date, .date, .date]),
        "admin_areas": VersionedLayout(table: "admin_areas", id: "id", key: "code",
                                       columns: ["code", "name", "level", "parent_code", "valid_from", "valid_to", "synthetic"],
                                       types: [.string, .string, .string, .string, .date, .date, .boolean]),
    ]

    init(table: String, id: String, key: String, columns: [String], names: [String]? = nil, types: [FieldType]) {
        self.table = table; self.id = id; self.key = key; self.columns = columns; self.names = names ?? columns; self.types = types
    }

    /// A layer created by import (`layer_<id>`): key, its attributes, then valid time.
    package init(userLayer layer: LayerInfo) {
        let attrs = Array(layer.fields.dropFirst())
        let quoted = attrs.map { "\"" + $0.name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        self.init(table: "layer_\(layer.id)", id: "fid", key: "entity_key",
                  columns: ["entity_key"] + quoted + ["valid_from", "valid_to"],
                  names: [layer.fields[0].name] + attrs.map(\.name) + ["valid_from", "valid_to"],
                  types: [.string] + attrs.map(\.type) + [.date, .date])
    }

    /// The layout of `layer` for change lists; a layer without history is refused naming those with one.
    package static func of(_ layer: String, in catalog: [LayerInfo]) throws -> VersionedLayout {
        if let core = core[layer] { return core }
        if let info = catalog.first(where: { $0.id == layer }), info.isSpatial, !CoreLayers.all.contains(where: { $0.id == layer }) {
            return VersionedLayout(userLayer: info)
        }
        let versioned = catalog.filter { $0.isSpatial && $0.id != "admin_labels" }.map(\.id)
        throw StoreError("layer \(layer) has no version history; change lists exist for: \(versioned.joined(separator: ", "))")
    }

    /// A stored version's attributes (`row` holds `columns` from column 0).
    package func attributes(_ row: some ColumnReader) -> [FieldValue] {
        types.indices.map { row.fieldValue($0, as: types[$0]) }
    }
}
