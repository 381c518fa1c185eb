import OneMapStore
import Foundation
import OneMapGeo

/// Single-entity edits of departments' layers (OGC API – Features Part 4's delete; create,
/// replace and update go through `applyVersions` like any push).
extension SpatiaLiteStore {
    public func closeEntity(layer: String, key: String, on day: String) throws -> Bool {
        guard let l = try self.layer(id: layer) else { throw StoreError("no layer '\(layer)'") }
        guard !CoreLayers.all.contains(where: { $0.id == l.id }) else {
            throw StoreError("core layer '\(l.id)' changes by import (its derived counts follow), not feature by feature")
        }
        // The table name comes from the catalog, never from the caller's text.
        let table = UserLayerTable(l).table
        return try withWriteTransaction(analyze: table) { c in
            let find = try c.prepare("""
                SELECT fid, valid_from, MbrMinX(geom), MbrMinY(geom), MbrMaxX(geom), MbrMaxY(geom)
                FROM "\(table)" WHERE entity_key = ? AND valid_to IS NULL
                """)
            try find.bind([.text(key)])
            guard try find.step() else { return false }
            let fid = find.int(0), from = find.text(1) ?? ""
            let box = find.isNull(2) ? nil : BBox(minX: find.double(2), minY: find.double(3), maxX: find.double(4), maxY: find.double(5))
            find.reset()
            guard from <= day else { throw StoreError("'\(key)' has a version starting \(from), after \(day)") }
            if from == day {
                try c.prepare("DELETE FROM \"\(table)\" WHERE fid = ?").run([.int(fid)])
            } else {
                try c.prepare("UPDATE \"\(table)\" SET valid_to = ? WHERE fid = ?").run([.text(day), .int(fid)])
            }
            try ChangeLog.record(c, layer: l.id, fromDay: day, box: box)
            try Self.bumpGeneration(c)
            return true
        }
    }

    public func recordChange(layer: String, fromDay: String?, box: BBox?) throws {
        try governanceWrite { c in
            try ChangeLog.record(c, layer: layer, fromDay: fromDay, box: box)
            try Self.bumpGeneration(c)
        }
    }

    public func changeExtents(after seq: Int64) throws -> [ChangeExtent] {
        try readers.with { c in
            let s = try c.cached("SELECT seq, layer, from_day, min_x, min_y, max_x, max_y FROM change_extents WHERE seq > ? ORDER BY seq LIMIT 10000")
            defer { s.reset() }
            try s.bind([.int(seq)])
            var out: [ChangeExtent] = []
            while try s.step() {
                let box = s.isNull(3) ? nil : BBox(minX: s.double(3), minY: s.double(4), maxX: s.double(5), maxY: s.double(6))
                out.append(ChangeExtent(seq: s.int(0), layer: s.text(1) ?? "", fromDay: s.text(2), box: box))
            }
            return out
        }
    }

    public func lastChangeSeq() throws -> Int64 {
        try readers.with { c in try c.scalarInt("SELECT coalesce(max(seq), 0) FROM change_extents") ?? 0 }
    }
}
