import OneMapStore
import Foundation
import OneMapGeo

/// Keeps the counts that tiles carry in step with the records: residents and businesses per building
/// and residents per administrative area by the centroid rule — a person counts in an area when
/// their building's footprint centroid lies in it. Stored counts are those of today; they hold for
/// every day between the last record change on or before today and the next one after it
/// (`counts_from`, `counts_until` in `derived_state`); other days are counted at query time.
enum DerivedCounts {
    static func today() -> String { ISODate.string(Date()) }

    static func refresh(_ c: SQLiteConnection) throws {
        let day = today()
        try recordValidRange(c, day: day)
        try c.exec("DROP TABLE IF EXISTS temp.building_counts")
        try c.exec("""
            CREATE TEMP TABLE building_counts AS
            SELECT code, sum(p) AS p, sum(b) AS b FROM (
              SELECT building_code AS code, count(*) AS p, 0 AS b FROM population
               WHERE valid_from <= '\(day)' AND (valid_to IS NULL OR valid_to > '\(day)') GROUP BY building_code
              UNION ALL
              SELECT building_code, 0, count(*) FROM businesses
               WHERE valid_from <= '\(day)' AND (valid_to IS NULL OR valid_to > '\(day)') GROUP BY building_code)
            GROUP BY code
            """)
        try c.exec("CREATE UNIQUE INDEX temp.building_counts_code ON building_counts(code)")
        try c.exec("UPDATE buildings SET population = 0, businesses = 0 WHERE population <> 0 OR businesses <> 0")
        try c.exec("""
            UPDATE buildings SET population = bc.p, businesses = bc.b
            FROM temp.building_counts bc WHERE bc.code = buildings.entity_code
            """)
        try c.exec("DROP TABLE temp.building_counts")

        // Building centroids and populations, then each area's total by prepared point-in-polygon.
        // Every version joins the membership table; only today's versions add to today's totals.
        var xs: [Double] = [], ys: [Double] = [], pops: [Int] = [], ids: [Int64] = [], storedTownship: [String?] = []
        let bs = try c.prepare("""
            SELECT id, cx, cy, CASE WHEN valid_from <= ?1 AND (valid_to IS NULL OR valid_to > ?1) THEN population ELSE 0 END,
                   township_code
            FROM buildings ORDER BY id
            """)
        try bs.bind([.text(day)])
        while try bs.step() {
            ids.append(bs.int(0)); xs.append(bs.double(1)); ys.append(bs.double(2)); pops.append(Int(bs.int(3)))
            storedTownship.append(bs.text(4))
        }
        let areas = try c.prepare("SELECT id, level, code, AsBinary(geom) FROM admin_areas ORDER BY id")
        var shapes: [CentroidRule.AreaShape] = []
        while try areas.step() {
            shapes.append(CentroidRule.AreaShape(id: areas.int(0), level: areas.text(1) ?? "", code: areas.text(2) ?? "",
                                                 geometry: try areas.withBlob(3) { try WKB.decode($0) }))
        }
        let points = ids.indices.map { CentroidRule.BuildingPoint(id: ids[$0], x: xs[$0], y: ys[$0], populationToday: pops[$0]) }
        let setPop = try c.prepare("UPDATE admin_areas SET population = ?, label_x = ?, label_y = ? WHERE id = ?")
        try c.exec("DELETE FROM building_areas")
        let member = try c.prepare("INSERT INTO building_areas(area_id, building_id) VALUES (?, ?)")
        let townshipOf = try CentroidRule.assign(areas: shapes, buildings: points) { area in
            for b in area.members { try member.run([.int(area.id), .int(b)]) }
            try setPop.run([.int(Int64(area.population)), area.label.map { .double($0.x) } ?? .null, area.label.map { .double($0.y) } ?? .null, .int(area.id)])
        }
        let setTown = try c.prepare("UPDATE buildings SET township_code = ? WHERE id = ?")
        // Only buildings whose township changed are written (an unchanged re-import writes none).
        for i in 0..<ids.count where townshipOf[i] != storedTownship[i] {
            try setTown.run([townshipOf[i].map { .text($0) } ?? .null, .int(ids[i])])
        }
    }
}

extension DerivedCounts {
    /// True when the stored counts are those of `day` (the range recorded by the last refresh).
    static func storedCountsHold(_ c: SQLiteConnection, on day: String) throws -> Bool {
        let s = try c.prepare("SELECT key, value FROM derived_state WHERE key IN ('counts_from', 'counts_until', 'counts_day')")
        var from: String?, until: String?, counted: String?
        while try s.step() {
            switch s.text(0) {
            case "counts_from": from = s.text(1)
            case "counts_until": until = s.text(1)
            default: counted = s.text(1)
            }
        }
        guard counted != nil else { return false }  // never refreshed
        return (from.map { $0 <= day } ?? true) && (until.map { day < $0 } ?? true)
    }

    /// After person or business records changed in `codes` only: those buildings' counts of today
    /// and every area's total (sums over the stored membership), and the days they hold for.
    static func refresh(_ c: SQLiteConnection, buildings codes: Set<String>) throws {
        let day = today()
        try recordValidRange(c, day: day)
        let update = try c.prepare("""
            UPDATE buildings SET
              population = (SELECT count(*) FROM population p WHERE p.building_code = ?1 AND p.valid_from <= ?2 AND (p.valid_to IS NULL OR p.valid_to > ?2)),
              businesses = (SELECT count(*) FROM businesses s WHERE s.building_code = ?1 AND s.valid_from <= ?2 AND (s.valid_to IS NULL OR s.valid_to > ?2))
            WHERE entity_code = ?1
            """)
        for code in codes { try update.run([.text(code), .text(day)]) }
        try c.prepare("""
            UPDATE admin_areas SET population = coalesce((
              SELECT sum(b.population) FROM building_areas ba JOIN buildings b ON b.id = ba.building_id
              WHERE ba.area_id = admin_areas.id AND b.valid_from <= ?1 AND (b.valid_to IS NULL OR b.valid_to > ?1)), 0)
            """).run([.text(day)])
    }

    /// Records the days for which today's counts hold: from the last change of a person or business
    /// record on or before today, until the first change after it.
    static func recordValidRange(_ c: SQLiteConnection, day: String) throws {
        // The nearest change on either side of `day`, over both tables' version bounds.
        var fromDay: String?, untilDay: String?
        for (table, column) in [("population", "valid_from"), ("population", "valid_to"), ("businesses", "valid_from"), ("businesses", "valid_to")] {
            let before = try c.prepare("SELECT max(\(column)) FROM \(table) WHERE \(column) <= ?")
            try before.bind([.text(day)])
            if try before.step(), let d = before.text(0), fromDay.map({ d > $0 }) ?? true { fromDay = d }
            let after = try c.prepare("SELECT min(\(column)) FROM \(table) WHERE \(column) > ?")
            try after.bind([.text(day)])
            if try after.step(), let d = after.text(0), untilDay.map({ d < $0 }) ?? true { untilDay = d }
        }
        let put = try c.prepare("INSERT OR REPLACE INTO derived_state(key, value) VALUES (?, ?)")
        try put.run([.text("counts_day"), .text(day)])
        try put.run([.text("counts_from"), fromDay.map { .text($0) } ?? .null])
        try put.run([.text("counts_until"), untilDay.map { .text($0) } ?? .null])
    }
}
