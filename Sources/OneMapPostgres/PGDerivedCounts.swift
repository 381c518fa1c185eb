import Foundation
import OneMapGeo
import OneMapStore

/// The counts tiles carry, kept in step with the records as in SpatiaLite (`DerivedCounts`):
/// residents and businesses per building today, residents per area by the centroid rule
/// (`CentroidRule`, shared), and the days for which today's counts hold.
enum PGDerivedCounts {
    /// `stagedBuildings`: a load into an empty store left its buildings in `load_buildings`; they
    /// are written to `buildings` once, with their counts and township (no update after).
    static func refresh(_ c: PGConnection, stagedBuildings: Bool = false) throws {
        let day = ISODate.string(Date())
        try recordValidRange(c, day: day)
        let counts = """
            SELECT code, sum(p) AS p, sum(b) AS b FROM (
              SELECT building_code AS code, count(*) AS p, 0 AS b FROM population
               WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) GROUP BY building_code
              UNION ALL
              SELECT building_code, 0, count(*) FROM businesses
               WHERE valid_from <= $1 AND (valid_to IS NULL OR valid_to > $1) GROUP BY building_code) x
            GROUP BY code
            """
        let buildings: String
        if stagedBuildings {
            try c.query("CREATE TEMP TABLE load_counts ON COMMIT DROP AS \(counts)", [.text(day)])
            buildings = """
                (SELECT l.id, l.cx, l.cy, l.valid_from, l.valid_to, coalesce(k.p, 0)::bigint AS population, NULL::text AS township_code
                 FROM load_buildings l LEFT JOIN load_counts k ON k.code = l.entity_code) b
                """
        } else {
            try c.query("""
                WITH counts AS (\(counts))
                UPDATE buildings SET population = coalesce(counts.p, 0), businesses = coalesce(counts.b, 0)
                FROM buildings b0 LEFT JOIN counts ON counts.code = b0.entity_code
                WHERE b0.id = buildings.id AND (buildings.population <> coalesce(counts.p, 0) OR buildings.businesses <> coalesce(counts.b, 0))
                """, [.text(day)])
            buildings = "buildings b"
        }
        // Building centroids and populations, then each area's total (the centroid rule).
        var points: [CentroidRule.BuildingPoint] = [], storedTownship: [String?] = []
        try c.stream("""
            SELECT b.id, b.cx, b.cy, CASE WHEN b.valid_from <= $1 AND (b.valid_to IS NULL OR b.valid_to > $1) THEN b.population ELSE 0 END, b.township_code
            FROM \(buildings) ORDER BY b.id
            """, [.text(day)]) { r in
            points.append(CentroidRule.BuildingPoint(id: r.int(0), x: r.double(1), y: r.double(2), populationToday: Int(r.int(3))))
            storedTownship.append(r.text(4))
        }
        var shapes: [CentroidRule.AreaShape] = []
        try c.stream("SELECT id, level, code, ST_AsBinary(geom) FROM admin_areas ORDER BY id") { r in
            guard let g = try r.withBytes(3, { try $0.map { try WKB.decode($0) } }) else { return }
            shapes.append(CentroidRule.AreaShape(id: r.int(0), level: r.text(1) ?? "", code: r.text(2) ?? "", geometry: g))
        }
        try c.exec("TRUNCATE building_areas")
        var members: [UInt8] = []
        var row = PGCopyRow()
        var areaRows: [UInt8] = []
        let townshipOf = try CentroidRule.assign(areas: shapes, buildings: points) { area in
            for b in area.members { row.int(area.id); row.int(b); members.append(contentsOf: row.line()) }
            row.int(area.id); row.int(Int64(area.population))
            if let l = area.label { row.double(l.x); row.double(l.y) } else { row.null(); row.null() }
            areaRows.append(contentsOf: row.line())
        }
        try c.copyIn("COPY building_areas(area_id, building_id) FROM STDIN") { try $0.write(members) }
        try c.exec("CREATE TEMP TABLE area_counts (id bigint, population bigint, label_x double precision, label_y double precision) ON COMMIT DROP")
        try c.copyIn("COPY area_counts FROM STDIN") { try $0.write(areaRows) }
        try c.exec("""
            UPDATE admin_areas a SET population = n.population, label_x = n.label_x, label_y = n.label_y FROM area_counts n
            WHERE n.id = a.id AND (a.population IS DISTINCT FROM n.population OR a.label_x IS DISTINCT FROM n.label_x OR a.label_y IS DISTINCT FROM n.label_y)
            """)
        // Only buildings whose township changed are written (an unchanged re-import writes none).
        var towns: [UInt8] = []
        for i in points.indices where townshipOf[i] != storedTownship[i] {
            row.int(points[i].id); row.text(townshipOf[i]); towns.append(contentsOf: row.line())
        }
        try c.exec("CREATE TEMP TABLE building_towns (id bigint, township_code text) ON COMMIT DROP")
        if !towns.isEmpty {
            try c.copyIn("COPY building_towns FROM STDIN") { try $0.write(towns) }
            if !stagedBuildings {
                try c.exec("UPDATE buildings b SET township_code = t.township_code FROM building_towns t WHERE t.id = b.id")
            }
        }
        if stagedBuildings {
            let columns = PGBulkWriter.columns["buildings"]!  // what the load copied into the staging table
            try c.exec("""
                INSERT INTO buildings(\(columns), population, businesses, township_code)
                SELECT \(columns.split(separator: ",").map { "l." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", ")),
                       coalesce(k.p, 0), coalesce(k.b, 0), t.township_code
                FROM load_buildings l LEFT JOIN load_counts k ON k.code = l.entity_code LEFT JOIN building_towns t ON t.id = l.id
                ORDER BY l.id
                """)
        }
    }

    /// After person or business records changed in `codes` only: those buildings' counts of today
    /// and every area's total (sums over the stored membership), and the days they hold for.
    static func refresh(_ c: PGConnection, buildings codes: Set<String>) throws {
        let day = ISODate.string(Date())
        try recordValidRange(c, day: day)
        try c.query("""
            UPDATE buildings b SET
              population = (SELECT count(*) FROM population p WHERE p.building_code = b.entity_code AND p.valid_from <= $2 AND (p.valid_to IS NULL OR p.valid_to > $2)),
              businesses = (SELECT count(*) FROM businesses s WHERE s.building_code = b.entity_code AND s.valid_from <= $2 AND (s.valid_to IS NULL OR s.valid_to > $2))
            WHERE b.entity_code = ANY(string_to_array($1, chr(31)))
            """, [.text(codes.sorted().joined(separator: "\u{1F}")), .text(day)])
        try c.query("""
            UPDATE admin_areas SET population = coalesce((
              SELECT sum(b.population) FROM building_areas ba JOIN buildings b ON b.id = ba.building_id
              WHERE ba.area_id = admin_areas.id AND b.valid_from <= $1 AND (b.valid_to IS NULL OR b.valid_to > $1)), 0)
            """, [.text(day)])
    }

    /// Records the days for which today's counts hold: from the last change of a person or
    /// business record on or before today, until the first change after it.
    static func recordValidRange(_ c: PGConnection, day: String) throws {
        var fromDay: String?, untilDay: String?
        for (table, column) in [("population", "valid_from"), ("population", "valid_to"), ("businesses", "valid_from"), ("businesses", "valid_to")] {
            if let d = try c.query("SELECT max(\(column)) FROM \(table) WHERE \(column) <= $1", [.text(day)]).row(0).text(0),
               fromDay.map({ d > $0 }) ?? true { fromDay = d }
            if let d = try c.query("SELECT min(\(column)) FROM \(table) WHERE \(column) > $1", [.text(day)]).row(0).text(0),
               untilDay.map({ d < $0 }) ?? true { untilDay = d }
        }
        for (key, value) in [("counts_day", Optional(day)), ("counts_from", fromDay), ("counts_until", untilDay)] {
            try c.query("INSERT INTO derived_state(key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                        [.text(key), value.map { .text($0) } ?? .null])
        }
    }
}
