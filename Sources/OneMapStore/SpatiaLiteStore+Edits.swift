import Foundation

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
            let find = try c.prepare("SELECT fid, valid_from FROM \"\(table)\" WHERE entity_key = ? AND valid_to IS NULL")
            try find.bind([.text(key)])
            guard try find.step() else { return false }
            let fid = find.int(0), from = find.text(1) ?? ""
            find.reset()
            guard from <= day else { throw StoreError("'\(key)' has a version starting \(from), after \(day)") }
            if from == day {
                try c.prepare("DELETE FROM \"\(table)\" WHERE fid = ?").run([.int(fid)])
            } else {
                try c.prepare("UPDATE \"\(table)\" SET valid_to = ? WHERE fid = ?").run([.text(day), .int(fid)])
            }
            try Self.bumpGeneration(c)
            return true
        }
    }
}
