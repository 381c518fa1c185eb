import OneMapStore
import Foundation
import OneMapGeo

/// Writes change extents inside a change's transaction.
enum ChangeLog {
    static func record(_ c: SQLiteConnection, layer: String, fromDay: String?, box: BBox?) throws {
        try c.prepare("INSERT INTO change_extents(layer, from_day, min_x, min_y, max_x, max_y) VALUES (?,?,?,?,?,?)").run([
            .text(layer), fromDay.map { .text($0) } ?? .null,
            box.map { .double($0.minX) } ?? .null, box.map { .double($0.minY) } ?? .null,
            box.map { .double($0.maxX) } ?? .null, box.map { .double($0.maxY) } ?? .null])
        // The layer's "last update", as reports cite it.
        try c.prepare("UPDATE layers SET updated_at = ? WHERE id = ?").run([.text(ISO8601DateFormatter().string(from: Date())), .text(layer)])
    }

    /// The versions of `table` that begin or end on `day` are what an import on that day changed
    /// (new versions start then, replaced and closed ones end then): their joint box.
    static func recordVersions(_ c: SQLiteConnection, layer: String, table: String, day: String, extra: BBox?) throws {
        let s = try c.prepare("""
            SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
            FROM "\(table)" WHERE valid_from = ?1 OR valid_to = ?1
            """)
        try s.bind([.text(day)])
        var box = extra
        if try s.step(), !s.isNull(0) {
            let b = BBox(minX: s.double(0), minY: s.double(1), maxX: s.double(2), maxY: s.double(3))
            if box == nil { box = b } else { box!.extend(b) }
        }
        s.reset()
        if let box { try record(c, layer: layer, fromDay: day, box: box) }
    }
}
