import Foundation
import OneMapGeo
import OneMapStore

/// Figures for an area in SQL (the oracle the in-memory engine is checked against), as the
/// SpatiaLite store computes them: the buildings standing that day whose centroid lies in the
/// area go into a temporary table, then people (through the shared `PeopleAggregator`),
/// businesses and buildings are aggregated over it.
extension PostgresStore {
    public func areaStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension]) throws -> AreaStatistics? {
        guard ISODate.isValid(day) else { throw StoreError("day '\(day)' is not a YYYY-MM-DD date") }
        return try readers.with { c -> AreaStatistics? in
            try c.transaction {
                var stats = AreaStatistics(day: day)
                try c.exec("""
                    CREATE TEMP TABLE stat_buildings (id bigint PRIMARY KEY, code text COLLATE "C" NOT NULL, use text COLLATE "C", floor_area bigint NOT NULL,
                      county text COLLATE "C", township text COLLATE "C", village text COLLATE "C", grid text COLLATE "C") ON COMMIT DROP
                    """)
                switch area {
                case .code(let code):
                    let found = try c.query("""
                        SELECT id, name FROM admin_areas WHERE code = $1
                          AND (valid_from IS NULL OR valid_from <= $2) AND (valid_to IS NULL OR valid_to > $2)
                        """, [.text(code), .text(day)])
                    guard found.rows > 0 else { return nil }
                    stats.name = found.row(0).text(1)
                    try c.query("""
                        INSERT INTO stat_buildings(id, code, use, floor_area)
                        SELECT b.id, b.entity_code, b.use, \(Self.floorAreaSQL) FROM building_areas ba JOIN buildings b ON b.id = ba.building_id
                        WHERE ba.area_id = $1 AND b.valid_from <= $2 AND (b.valid_to IS NULL OR b.valid_to > $2)
                        """, [.int(found.row(0).int(0)), .text(day)])
                case .geometry(let g):
                    guard !g.polygons.isEmpty else { throw StoreError("the area must be a Polygon or MultiPolygon, not a \(g.typeName)") }
                    try Self.selectBuildings(in: g, on: day, c)
                }
                try c.exec("CREATE INDEX ON stat_buildings(code)")
                try c.exec("ANALYZE stat_buildings")
                for level in groupBy.filter(\.isAreaLevel) {
                    try c.query("""
                        UPDATE stat_buildings s SET \(level.rawValue) = x.code FROM (
                          SELECT ba.building_id AS bid, a.code AS code FROM admin_areas a JOIN building_areas ba ON ba.area_id = a.id
                          WHERE a.level = $1 AND (a.valid_from IS NULL OR a.valid_from <= $2) AND (a.valid_to IS NULL OR a.valid_to > $2)) x
                        WHERE x.bid = s.id
                        """, [.text(level.rawValue), .text(day)])
                }
                try Self.aggregate(into: &stats, groupBy: groupBy, on: day, c)
                return stats
            }
        }
    }

    /// The buildings standing on `day` whose centroid lies in `area` (index box, then a prepared
    /// GEOS geometry in Swift, as SpatiaLite does: the same point-in-polygon on both backends).
    private static func selectBuildings(in area: Geometry, on day: String, _ c: PGConnection) throws {
        guard let box = area.bbox else { return }
        let prepared = try GeometryEngine().prepare(.multiPolygon(area.polygons))
        var rows: [UInt8] = []
        var line = PGCopyRow()
        try c.stream("""
            SELECT b.id, b.entity_code, b.use, \(floorAreaSQL), b.cx, b.cy FROM buildings b
            WHERE b.geom && ST_MakeEnvelope($1, $2, $3, $4, 4490)
              AND b.cx BETWEEN $1 AND $3 AND b.cy BETWEEN $2 AND $4
              AND b.valid_from <= $5 AND (b.valid_to IS NULL OR b.valid_to > $5)
            """, [.double(box.minX), .double(box.minY), .double(box.maxX), .double(box.maxY), .text(day)]) { r in
            guard prepared.contains(Position(r.double(4), r.double(5))) else { return }
            line.int(r.int(0)); line.text(r.text(1) ?? ""); line.text(r.text(2)); line.int(r.int(3))
            rows.append(contentsOf: line.line())
        }
        if !rows.isEmpty { try c.copyIn("COPY stat_buildings(id, code, use, floor_area) FROM STDIN") { try $0.write(rows) } }
    }

    private static func aggregate(into stats: inout AreaStatistics, groupBy: [StatisticsDimension], on day: String, _ c: PGConnection) throws {
        let year = Int(day.prefix(4)) ?? 2000
        let firms = "FROM stat_buildings s JOIN businesses b ON b.building_code = s.code WHERE b.valid_from <= $1 AND (b.valid_to IS NULL OR b.valid_to > $1)"
        // People: one pass over the selection's residents.
        let peopleDims = groupBy.filter(\.appliesToPeople)
        var people = PeopleAggregator(groupBy: peopleDims, year: year)
        let columns = PeopleAggregator.placeColumns(peopleDims).map { "s.\($0)" }
        try c.stream("""
            SELECT p.sex, p.birth_year, p.registration, p.household_id\(columns.map { ", " + $0 }.joined())
            FROM stat_buildings s JOIN population p ON p.building_code = s.code
            WHERE p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1)
            """, [.text(day)]) { r in
            people.add(sex: r.textBytes(0), birthYear: r.isNull(1) ? nil : r.int(1), registration: r.textBytes(2), household: r.textBytes(3)) {
                r.textBytes(4 + $0)
            }
        }
        people.finish(into: &stats)
        for r in try c.query("SELECT b.industry, count(*), coalesce(sum(b.employees), 0)::bigint \(firms) GROUP BY 1", [.text(day)]).all {
            stats.businesses += Int(r.int(1)); stats.employees += Int(r.int(2))
            stats.byIndustry[r.text(0) ?? "", default: 0] += Int(r.int(1))
        }
        var floorAreaMilli: Int64 = 0
        for r in try c.query("SELECT s.use, count(*), sum(s.floor_area)::bigint FROM stat_buildings s GROUP BY 1").all {
            stats.buildings += Int(r.int(1)); floorAreaMilli += r.int(2)
            stats.buildingsByUse[r.text(0) ?? "", default: 0] += Int(r.int(1))
        }
        stats.floorArea = Double(floorAreaMilli) / 1000
        guard !groupBy.isEmpty else { return }
        func groups(_ dims: [StatisticsDimension], _ measure: String, _ source: String, _ params: [SQLValue]) throws -> [StatisticsGroup] {
            guard !dims.isEmpty else { return [] }
            let keys = dims.map { $0.groupingSQL(year: year) }
            let order = keys.map { "\($0) COLLATE \"C\" NULLS FIRST" }.joined(separator: ", ")
            return try c.query("SELECT \(keys.joined(separator: ", ")), count(*), (\(measure))::float8 \(source) GROUP BY \(keys.joined(separator: ", ")) ORDER BY \(order)",
                               params).all.map { r in
                var k: [String: String] = [:]
                for (i, d) in dims.enumerated() { k[d.rawValue] = r.text(i) ?? "" }
                return StatisticsGroup(keys: k, count: Int(r.int(dims.count)), measure: r.double(dims.count + 1))
            }
        }
        stats.businessGroups = try groups(groupBy.filter(\.appliesToBusinesses), "coalesce(sum(b.employees), 0)", firms, [.text(day)])
        stats.buildingGroups = try groups(groupBy.filter(\.appliesToBuildings), "sum(s.floor_area) / 1000.0", "FROM stat_buildings s", [])
    }
}
