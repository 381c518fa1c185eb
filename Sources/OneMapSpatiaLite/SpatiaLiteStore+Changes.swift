import OneMapStore
import OneMapGeo

/// How a versioned layer is laid out for change lists.
private struct VersionedTable {
    let table: String
    let id: String
    let key: String
    /// Attribute columns reported before/after (derived counts are not attributes), their names
    /// as reported and their types.
    let columns: [String]
    let names: [String]
    let types: [FieldType]

    static let core: [String: VersionedTable] = [
        "buildings": VersionedTable(table: "buildings", id: "id", key: "entity_code",
                                    columns: ["entity_code", "floors", "use", "built_date", "demolished_date", "valid_from", "valid_to"],
                                    types: [.string, .integer, .string, .date, .date, .date, .date]),
        "admin_areas": VersionedTable(table: "admin_areas", id: "id", key: "code",
                                      columns: ["code", "name", "level", "parent_code", "valid_from", "valid_to", "synthetic"],
                                      types: [.string, .string, .string, .string, .date, .date, .boolean]),
    ]

    init(table: String, id: String, key: String, columns: [String], names: [String]? = nil, types: [FieldType]) {
        self.table = table; self.id = id; self.key = key; self.columns = columns; self.names = names ?? columns; self.types = types
    }

    /// A layer created by import: key, its attributes, then valid time.
    init(_ t: UserLayerTable) {
        let attrs = Array(t.attributeFields)
        self.init(table: t.table, id: "fid", key: "entity_key",
                  columns: ["entity_key"] + t.attributeColumns + ["valid_from", "valid_to"],
                  names: [t.layer.fields[0].name] + attrs.map(\.name) + ["valid_from", "valid_to"],
                  types: [.string] + attrs.map(\.type) + [.date, .date])
    }

    /// Events in (?1, ?2], optionally restricted by the R*Tree to the box ?3..?6; ?7 limit, ?8 offset.
    var eventsSQL: String {
        let t = table, k = key, id = id
        return """
            WITH v AS (
              SELECT \(id) AS id, \(k), valid_from, valid_to FROM \(t) WHERE ?3 IS NULL OR \(id) IN
                (SELECT pkid FROM idx_\(t)_geom WHERE xmin <= ?5 AND xmax >= ?3 AND ymin <= ?6 AND ymax >= ?4)),
            ev AS (
              SELECT 'created' AS kind, n.valid_from AS day, n.\(k) AS entity, NULL AS before_id, n.id AS after_id FROM v n
               WHERE n.valid_from > ?1 AND n.valid_from <= ?2
                 AND NOT EXISTS (SELECT 1 FROM \(t) p WHERE p.\(k) = n.\(k) AND p.valid_to = n.valid_from)
              UNION ALL
              SELECT 'modified', n.valid_from, n.\(k), p.\(id), n.id FROM v n JOIN \(t) p ON p.\(k) = n.\(k) AND p.valid_to = n.valid_from
               WHERE n.valid_from > ?1 AND n.valid_from <= ?2
              UNION ALL
              SELECT 'removed', o.valid_to, o.\(k), o.id, NULL FROM v o
               WHERE o.valid_to > ?1 AND o.valid_to <= ?2
                 AND NOT EXISTS (SELECT 1 FROM \(t) n WHERE n.\(k) = o.\(k) AND n.valid_from = o.valid_to))
            SELECT kind, day, entity, before_id, after_id, count(*) OVER () FROM ev
            ORDER BY day, entity, kind LIMIT ?7 OFFSET ?8
            """
    }

    var rowSQL: String { "SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE \(id) = ?" }
}

extension SpatiaLiteStore {
    public func changes(layer: String, from: String, to: String, bbox: BBox?, limit: Int, offset: Int) throws -> ChangeList {
        let t: VersionedTable
        if let core = VersionedTable.core[layer] {
            t = core
        } else if let info = try self.layer(id: layer), info.isSpatial, !CoreLayers.all.contains(where: { $0.id == layer }) {
            t = VersionedTable(UserLayerTable(info))
        } else {
            let versioned = try layers().filter { $0.isSpatial && $0.id != "admin_labels" }.map(\.id)
            throw StoreError("layer \(layer) has no version history; change lists exist for: \(versioned.joined(separator: ", "))")
        }
        return try withReader { c in
            let events = try c.cached(t.eventsSQL)
            let box: [SQLValue] = bbox.map { [.double($0.minX), .double($0.minY), .double($0.maxX), .double($0.maxY)] }
                ?? [.null, .null, .null, .null]
            try events.bind([.text(from), .text(to)] + box + [.int(Int64(limit)), .int(Int64(offset))])
            defer { events.reset() }
            let row = try c.cached(t.rowSQL)
            func attributes(_ id: Int64?) throws -> [FieldValue]? {
                guard let id else { return nil }
                row.reset()
                try row.bind([.int(id)])
                guard try row.step() else { return nil }
                return (0..<t.columns.count).map { i in
                    let col = Int32(i)
                    if row.isNull(col) { return .null }
                    switch t.types[i] {
                    case .integer: return .int(row.int(col))
                    case .number: return .double(row.double(col))
                    case .boolean: return .bool(row.int(col) != 0)
                    case .string, .date: return .string(row.text(col) ?? "")
                    }
                }
            }
            var out: [Change] = []
            var matched = 0
            while try events.step() {
                let before = events.isNull(3) ? nil : events.int(3), after = events.isNull(4) ? nil : events.int(4)
                let kind = ChangeKind(rawValue: events.text(0) ?? "") ?? .modified
                let date = events.text(1) ?? "", entity = events.text(2) ?? ""
                matched = Int(events.int(5))
                out.append(Change(kind: kind, date: date, entity: entity, before: try attributes(before), after: try attributes(after)))
            }
            if out.isEmpty && offset > 0 {
                // Past the last page: count without paging so numberMatched stays exact.
                events.reset()
                try events.bind([.text(from), .text(to)] + box + [.int(-1), .int(0)])
                while try events.step() { matched = Int(events.int(5)); break }
            }
            return ChangeList(fields: t.names, changes: out, numberMatched: matched)
        }
    }
}
