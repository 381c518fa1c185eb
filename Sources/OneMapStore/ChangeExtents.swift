import Foundation
import OneMapGeo

/// Where and from when a committed change applies to a layer: cached tiles of that layer whose
/// box meets `box` and whose day is on or after `fromDay` are stale, the rest stay valid.
public struct ChangeExtent: Sendable, Hashable {
    public let seq: Int64
    public let layer: String
    /// The first day the change shows; nil: every day (a reclassification).
    public let fromDay: String?
    /// EPSG:4490 lon/lat; nil: the whole layer.
    public let box: BBox?

    public init(seq: Int64, layer: String, fromDay: String?, box: BBox?) {
        self.seq = seq; self.layer = layer; self.fromDay = fromDay; self.box = box
    }

    /// Whether a cached result of `layer` over `area` for the days up to `lastDay` (nil: open
    /// ended) may show this change.
    public func touches(layers: Set<String>, area: BBox?, lastDay: String?) -> Bool {
        guard layers.contains(layer) else { return false }
        if let fromDay, let lastDay, lastDay < fromDay { return false }
        guard let box, let area else { return true }
        return box.minX <= area.maxX && box.maxX >= area.minX && box.minY <= area.maxY && box.maxY >= area.minY
    }
}

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
