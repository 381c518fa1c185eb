import Foundation
import OneMapGeo
import OneMapStore

/// Change-list SQL over a versioned layer's layout (`VersionedLayout`, shared).
private extension VersionedLayout {
    /// Events in ($1, $2], optionally within the box $3..$6 (NULLs: anywhere); $7 limit, $8 offset.
    var eventsSQL: String {
        let t = table, k = key, id = id
        return """
            WITH v AS (
              SELECT \(id) AS id, \(k), valid_from, valid_to FROM \(t)
              WHERE $3::float8 IS NULL OR geom && ST_MakeEnvelope($3::float8, $4::float8, $5::float8, $6::float8, 4490)),
            ev AS (
              SELECT 'created' AS kind, n.valid_from AS day, n.\(k) AS entity, NULL::bigint AS before_id, n.id AS after_id FROM v n
               WHERE n.valid_from > $1 AND n.valid_from <= $2
                 AND NOT EXISTS (SELECT 1 FROM \(t) p WHERE p.\(k) = n.\(k) AND p.valid_to = n.valid_from)
              UNION ALL
              SELECT 'modified', n.valid_from, n.\(k), p.\(id), n.id FROM v n JOIN \(t) p ON p.\(k) = n.\(k) AND p.valid_to = n.valid_from
               WHERE n.valid_from > $1 AND n.valid_from <= $2
              UNION ALL
              SELECT 'removed', o.valid_to, o.\(k), o.id, NULL FROM v o
               WHERE o.valid_to > $1 AND o.valid_to <= $2
                 AND NOT EXISTS (SELECT 1 FROM \(t) n WHERE n.\(k) = o.\(k) AND n.valid_from = o.valid_to))
            SELECT kind, day, entity, before_id, after_id, count(*) OVER () FROM ev
            ORDER BY day, entity, kind COLLATE "C" LIMIT $7 OFFSET $8
            """
    }

    var rowSQL: String { "SELECT \(columns.joined(separator: ", ")) FROM \(table) WHERE \(id) = $1" }
}

extension PostgresStore {
    public func changes(layer: String, from: String, to: String, bbox: BBox?, limit: Int, offset: Int) throws -> ChangeList {
        let t = try VersionedLayout.of(layer, in: try layers())
        let box: [SQLValue] = bbox.map { [.double($0.minX), .double($0.minY), .double($0.maxX), .double($0.maxY)] } ?? [.null, .null, .null, .null]
        return try readers.with { c in
            func attributes(_ id: Int64?) throws -> [FieldValue]? {
                guard let id else { return nil }
                let r = try c.query(t.rowSQL, [.int(id)], prepare: true)
                guard r.rows > 0 else { return nil }
                return t.attributes(r.row(0))
            }
            var out: [Change] = []
            var matched = 0
            let events = try c.query(t.eventsSQL, [.text(from), .text(to)] + box + [.int(Int64(limit)), .int(Int64(offset))], prepare: true)
            for e in events.all {
                let before = e.isNull(3) ? nil : e.int(3), after = e.isNull(4) ? nil : e.int(4)
                matched = Int(e.int(5))
                out.append(Change(kind: ChangeKind(rawValue: e.text(0) ?? "") ?? .modified, date: e.text(1) ?? "", entity: e.text(2) ?? "",
                                  before: try attributes(before), after: try attributes(after)))
            }
            if out.isEmpty && offset > 0 {
                // Past the last page: count without paging so numberMatched stays exact.
                let all = try c.query(t.eventsSQL, [.text(from), .text(to)] + box + [.int(Int64.max), .int(0)], prepare: true)
                if all.rows > 0 { matched = Int(all.row(0).int(5)) }
            }
            return ChangeList(fields: t.names, changes: out, numberMatched: matched)
        }
    }

    public func closeEntity(layer: String, key: String, on day: String) throws -> Bool {
        guard let l = try self.layer(id: layer) else { throw StoreError("no layer '\(layer)'") }
        guard !CoreLayers.all.contains(where: { $0.id == l.id }) else {
            throw StoreError("core layer '\(l.id)' changes by import (its derived counts follow), not feature by feature")
        }
        let table = PGUserLayerTable(l).table
        let closed = try writeData { c -> Bool in
            let found = try c.query("""
                SELECT fid, valid_from, ST_XMin(geom::box3d), ST_YMin(geom::box3d), ST_XMax(geom::box3d), ST_YMax(geom::box3d)
                FROM "\(table)" WHERE entity_key = $1 AND valid_to IS NULL FOR UPDATE
                """, [.text(key)])
            guard found.rows > 0 else { return false }
            let r = found.row(0)
            let fid = r.int(0), from = r.text(1) ?? ""
            let box = r.isNull(2) ? nil : BBox(minX: r.double(2), minY: r.double(3), maxX: r.double(4), maxY: r.double(5))
            guard from <= day else { throw StoreError("'\(key)' has a version starting \(from), after \(day)") }
            if from == day {
                try c.query("DELETE FROM \"\(table)\" WHERE fid = $1", [.int(fid)])
            } else {
                try c.query("UPDATE \"\(table)\" SET valid_to = $1 WHERE fid = $2", [.text(day), .int(fid)])
            }
            try Self.recordChange(c, layer: l.id, fromDay: day, box: box)
            try Self.bumpGeneration(c)
            return true
        }
        afterChange()
        return closed
    }
}
