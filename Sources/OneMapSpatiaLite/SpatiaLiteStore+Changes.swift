import OneMapStore
import OneMapGeo

/// Change-list SQL over a versioned layer's layout (`VersionedLayout`, shared).
private extension VersionedLayout {
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
        let t = try VersionedLayout.of(layer, in: try layers())
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
                return t.attributes(row.row)
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
