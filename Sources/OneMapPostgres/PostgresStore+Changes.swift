import Foundation
import OneMapGeo
import OneMapStore

/// Change extents: where and from when each committed change applies, for caches in this process
/// and others.
extension PostgresStore {
    /// One data writer at a time across processes, as in SpatiaLite: the numbers of change
    /// extents and row changes then grow in commit order, so a reader that has seen number n has
    /// seen everything before it (concurrent transactions would commit numbers out of order).
    static let dataWriteLock: Int64 = 0x6F6E_6D61_7064_6174

    /// Runs `body` in one write transaction holding the data-write lock.
    func writeData<T>(_ body: (PGConnection) throws -> T) throws -> T {
        try write { c in
            try c.query("SELECT pg_advisory_xact_lock($1)", [.int(Self.dataWriteLock)], prepare: true)
            return try body(c)
        }
    }

    /// Writes a change extent inside the change's transaction (which holds the data-write lock).
    static func recordChange(_ c: PGConnection, layer: String, fromDay: String?, box: BBox?) throws {
        let seq = try c.query("SELECT coalesce(max(seq), 0) + 1 FROM change_extents", prepare: true).row(0).int(0)
        try ensureSequencePartitions(c, table: "change_extents", through: seq)
        try c.query("INSERT INTO change_extents(seq, layer, from_day, min_x, min_y, max_x, max_y) VALUES ($1,$2,$3,$4,$5,$6,$7)", [
            .int(seq), .text(layer), fromDay.map { .text($0) } ?? .null,
            box.map { .double($0.minX) } ?? .null, box.map { .double($0.minY) } ?? .null,
            box.map { .double($0.maxX) } ?? .null, box.map { .double($0.maxY) } ?? .null], prepare: true)
        // The layer's "last update", as reports cite it.
        try c.query("UPDATE layers SET updated_at = $1 WHERE id = $2", [.text(ISO8601DateFormatter().string(from: Date())), .text(layer)], prepare: true)
    }

    /// The versions of `table` that begin or end on `day` are what an import that day changed:
    /// their joint box (with `extra`) becomes one change extent.
    static func recordVersions(_ c: PGConnection, layer: String, table: String, day: String, extra: BBox?) throws {
        let r = try c.query("""
            SELECT min(ST_XMin(geom)), min(ST_YMin(geom)), max(ST_XMax(geom)), max(ST_YMax(geom))
            FROM "\(table)" WHERE valid_from = $1 OR valid_to = $1
            """, [.text(day)])
        var box = extra
        if r.rows > 0, !r.row(0).isNull(0) {
            let row = r.row(0)
            let b = BBox(minX: row.double(0), minY: row.double(1), maxX: row.double(2), maxY: row.double(3))
            if box == nil { box = b } else { box!.extend(b) }
        }
        if let box { try recordChange(c, layer: layer, fromDay: day, box: box) }
    }

    public func recordChange(layer: String, fromDay: String?, box: BBox?) throws {
        try writeData { c in
            try Self.recordChange(c, layer: layer, fromDay: fromDay, box: box)
            try Self.bumpGeneration(c)
        }
    }

    public func changeExtents(after seq: Int64) throws -> [ChangeExtent] {
        try readers.with { c in
            try c.query("SELECT seq, layer, from_day, min_x, min_y, max_x, max_y FROM change_extents WHERE seq > $1 ORDER BY seq LIMIT 10000",
                        [.int(seq)], prepare: true).all.map { r in
                let box = r.isNull(3) ? nil : BBox(minX: r.double(3), minY: r.double(4), maxX: r.double(5), maxY: r.double(6))
                return ChangeExtent(seq: r.int(0), layer: r.text(1) ?? "", fromDay: r.text(2), box: box)
            }
        }
    }

    public func lastChangeSeq() throws -> Int64 {
        try readers.with { c in try c.query("SELECT coalesce(max(seq), 0) FROM change_extents", prepare: true).row(0).int(0) }
    }
}
