import OneMapStore
import Foundation
import OneMapGeo

extension SpatiaLiteStore {
    /// Figures for `area` on `day`, broken down by `groupBy`. Nil when an area code names no area
    /// valid that day.
    ///
    /// The buildings standing that day whose footprint centroid lies in the area are selected
    /// (R*Tree box, then point in polygon) into a temporary table; people, businesses and
    /// buildings are then aggregated by SQL over it.
    public func areaStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension]) throws -> AreaStatistics? {
        guard ISODate.isValid(day) else { throw StoreError("day '\(day)' is not a YYYY-MM-DD date") }
        return try readers.with { c -> AreaStatistics? in
            var stats = AreaStatistics(day: day)
            try createSelection(c)
            switch area {
            case .code(let code):
                let s = try c.cached("""
                    SELECT id, name FROM admin_areas WHERE code = ?1
                      AND (valid_from IS NULL OR valid_from <= ?2) AND (valid_to IS NULL OR valid_to > ?2)
                    """)
                defer { s.reset() }
                try s.bind([.text(code), .text(day)])
                guard try s.step() else { return nil }
                stats.name = s.text(1)
                // The area's own buildings, as the centroid rule stored them (no geometry test).
                try selectBuildings(ofArea: s.int(0), on: day, c)
            case .geometry(let g):
                guard !g.polygons.isEmpty else { throw StoreError("the area must be a Polygon or MultiPolygon, not a \(g.typeName)") }
                try selectBuildings(in: g, on: day, c)
            }
            StageTimer.mark("stats: select buildings")
            try c.exec("CREATE INDEX temp.stat_buildings_code ON stat_buildings(code)")
            defer { try? c.exec("DROP TABLE IF EXISTS temp.stat_buildings") }
            for level in groupBy.filter(\.isAreaLevel) { try assignAreas(level, on: day, c) }
            StageTimer.mark("stats: assign areas")
            try aggregate(into: &stats, groupBy: groupBy, on: day, c)
            return stats
        }
    }

    private func createSelection(_ c: SQLiteConnection) throws {
        try c.exec("DROP TABLE IF EXISTS temp.stat_buildings")
        try c.exec("""
            CREATE TEMP TABLE stat_buildings (id INTEGER PRIMARY KEY, code TEXT NOT NULL, use TEXT, floor_area INTEGER NOT NULL,
              county TEXT, township TEXT, village TEXT, grid TEXT)
            """)
    }

    /// Footprint area (square degrees to square metres at the building's latitude) times floors, in
    /// thousandths of a square metre: integer sums are the same in any order, so the in-memory
    /// engine's figures equal these to the last digit.
    static let floorAreaSQL = "CAST(round(ST_Area(b.geom) * (111320.0 * cos(radians(b.cy))) * 110574.0 * max(1, coalesce(b.floors, 1)) * 1000) AS INTEGER)"

    /// The buildings standing on `day` linked to area version `areaID` in `building_areas`.
    private func selectBuildings(ofArea areaID: Int64, on day: String, _ c: SQLiteConnection) throws {
        try c.prepare("""
            INSERT INTO temp.stat_buildings(id, code, use, floor_area)
            SELECT b.id, b.entity_code, b.use, \(Self.floorAreaSQL) FROM building_areas ba JOIN buildings b ON b.id = ba.building_id
            WHERE ba.area_id = ?1 AND b.valid_from <= ?2 AND (b.valid_to IS NULL OR b.valid_to > ?2)
            """).run([.int(areaID), .text(day)])
    }

    /// The buildings standing on `day` whose footprint centroid lies in `area` (R*Tree box, then
    /// a prepared GEOS geometry: indexed point in polygon).
    private func selectBuildings(in area: Geometry, on day: String, _ c: SQLiteConnection) throws {
        guard let box = area.bbox else { return }
        let prepared = try GeometryEngine().prepare(.multiPolygon(area.polygons))
        let candidates = try c.prepare("""
            SELECT b.id, b.entity_code, b.use, \(Self.floorAreaSQL), b.cx, b.cy FROM buildings b
            WHERE b.id IN (SELECT pkid FROM idx_buildings_geom WHERE xmin <= ?3 AND xmax >= ?1 AND ymin <= ?4 AND ymax >= ?2)
              AND b.cx BETWEEN ?1 AND ?3 AND b.cy BETWEEN ?2 AND ?4
              AND b.valid_from <= ?5 AND (b.valid_to IS NULL OR b.valid_to > ?5)
            """)
        try candidates.bind([.double(box.minX), .double(box.minY), .double(box.maxX), .double(box.maxY), .text(day)])
        let insert = try c.prepare("INSERT INTO temp.stat_buildings(id, code, use, floor_area) VALUES (?,?,?,?)")
        while try candidates.step() {
            guard prepared.contains(Position(candidates.double(4), candidates.double(5))) else { continue }
            try insert.run([.int(candidates.int(0)), .text(candidates.text(1) ?? ""), candidates.isNull(2) ? .null : .text(candidates.text(2) ?? ""),
                            .int(candidates.int(3))])
        }
    }

    /// Fills the column of `level` with the code of the area of that level (valid on `day`) each
    /// selected building's centroid lies in (`building_areas`, the centroid rule's table).
    private func assignAreas(_ level: StatisticsDimension, on day: String, _ c: SQLiteConnection) throws {
        try c.prepare("""
            UPDATE temp.stat_buildings SET \(level.rawValue) = x.code FROM (
              SELECT ba.building_id AS bid, a.code AS code FROM admin_areas a JOIN building_areas ba ON ba.area_id = a.id
              WHERE a.level = ?1 AND (a.valid_from IS NULL OR a.valid_from <= ?2) AND (a.valid_to IS NULL OR a.valid_to > ?2)) x
            WHERE x.bid = stat_buildings.id
            """).run([.text(level.rawValue), .text(day)])
    }

    private func aggregate(into stats: inout AreaStatistics, groupBy: [StatisticsDimension], on day: String, _ c: SQLiteConnection) throws {
        let year = Int(day.prefix(4)) ?? 2000
        let firms = "FROM temp.stat_buildings s JOIN businesses b ON b.building_code = s.code WHERE b.valid_from <= ?1 AND (b.valid_to IS NULL OR b.valid_to > ?1)"
        func rows(_ sql: String, _ body: (Statement) throws -> Void) throws {
            let s = try c.prepare(sql)
            try s.bindLeading([.text(day)])
            while try s.step() { try body(s) }
        }
        // People: one pass over the selection's residents gives the totals, the breakdowns, the
        // households and the groups (each a separate SQL aggregate was four passes, most of a report's time).
        try aggregatePeople(into: &stats, groupBy: groupBy.filter(\.appliesToPeople), year: year, on: day, c)
        StageTimer.mark("stats: people")
        try rows("SELECT b.industry, count(*), coalesce(sum(b.employees), 0) \(firms) GROUP BY 1") { s in
            stats.businesses += Int(s.int(1)); stats.employees += Int(s.int(2))
            stats.byIndustry[s.text(0) ?? "", default: 0] += Int(s.int(1))
        }
        var floorAreaMilli: Int64 = 0
        try rows("SELECT s.use, count(*), sum(s.floor_area) FROM temp.stat_buildings s GROUP BY 1") { s in
            stats.buildings += Int(s.int(1)); floorAreaMilli += s.int(2)
            stats.buildingsByUse[s.text(0) ?? "", default: 0] += Int(s.int(1))
        }
        stats.floorArea = Double(floorAreaMilli) / 1000
        StageTimer.mark("stats: firms, buildings")
        guard !groupBy.isEmpty else { return }
        func groups(_ dims: [StatisticsDimension], _ measure: String, _ source: String) throws -> [StatisticsGroup] {
            guard !dims.isEmpty else { return [] }
            let keys = dims.map { $0.groupingSQL(year: year) }.joined(separator: ", ")
            var out: [StatisticsGroup] = []
            try rows("SELECT \(keys), count(*), \(measure) \(source) GROUP BY \(keys) ORDER BY \(keys)") { s in
                var k: [String: String] = [:]
                for (i, d) in dims.enumerated() { k[d.rawValue] = s.text(Int32(i)) ?? "" }
                out.append(StatisticsGroup(keys: k, count: Int(s.int(Int32(dims.count))), measure: s.double(Int32(dims.count + 1))))
            }
            return out
        }
        stats.businessGroups = try groups(groupBy.filter(\.appliesToBusinesses), "coalesce(sum(b.employees), 0)", firms)
        stats.buildingGroups = try groups(groupBy.filter(\.appliesToBuildings), "sum(s.floor_area) / 1000.0", "FROM temp.stat_buildings s")
    }

    /// People of the selection on `day`, through the shared aggregator.
    private func aggregatePeople(into stats: inout AreaStatistics, groupBy dims: [StatisticsDimension], year: Int, on day: String,
                                 _ c: SQLiteConnection) throws {
        let columns = PeopleAggregator.placeColumns(dims).map { "s.\($0)" }
        let s = try c.prepare("""
            SELECT p.sex, p.birth_year, p.registration, p.household_id\(columns.map { ", " + $0 }.joined())
            FROM temp.stat_buildings s JOIN population p ON p.building_code = s.code
            WHERE p.valid_from <= ?1 AND (p.valid_to IS NULL OR p.valid_to > ?1)
            """)
        try s.bind([.text(day)])
        var people = PeopleAggregator(groupBy: dims, year: year)
        while try s.step() {
            people.add(sex: s.textBytes(0), birthYear: s.isNull(1) ? nil : s.int(1), registration: s.textBytes(2), household: s.textBytes(3)) {
                s.textBytes(Int32(4 + $0))
            }
        }
        people.finish(into: &stats)
    }
}

extension SpatiaLiteStore {
    public func areaTotals(code: String, on days: [String]) throws -> [AreaTotals?] {
        try totalsDayByDay(code: code, on: days)
    }

    public func earliestRecordDay() throws -> String? {
        try readers.with { c in
            let s = try c.prepare("SELECT min(valid_from) FROM buildings")
            return try s.step() ? s.text(0) : nil
        }
    }

    /// Counted: SQLite counts a few million rows in milliseconds.
    public func estimatedStatisticsRecords() throws -> Int {
        try readers.with { c in
            Int(try c.scalarInt("SELECT (SELECT count(*) FROM population) + (SELECT count(*) FROM businesses)") ?? 0)
        }
    }

    public func statisticsSecret() throws -> [UInt8] {
        func stored() throws -> [UInt8]? {
            try readers.with { c in
                let s = try c.prepare("SELECT value FROM derived_state WHERE key = 'disclosure_secret'")
                guard try s.step(), let hex = s.text(0), hex.count == 64 else { return nil }
                return Digest.bytes(hex: hex)
            }
        }
        if let s = try stored() { return s }
        // Made once; a concurrent maker's value wins (INSERT OR IGNORE) and both read it back.
        try withSmallWrite { c in
            try c.prepare("INSERT OR IGNORE INTO derived_state(key, value) VALUES ('disclosure_secret', ?)").run([.text(Digest.hex(Digest.randomBytes(32)))])
        }
        guard let s = try stored() else { throw StoreError("the disclosure-control secret could not be stored") }
        return s
    }

    public func scanStatisticsRows<Sink: StatisticsRowSink>(into sink: inout Sink) throws -> StatisticsScan {
        // One read transaction: every table from the same snapshot, and the change sequence it holds.
        try readers.with(timeLimited: false) { c -> StatisticsScan in
            try c.exec("BEGIN")
            do {
                let seq = try c.scalarInt("SELECT coalesce(max(seq), 0) FROM change_extents") ?? 0
                let rowSeq = try c.scalarInt("SELECT coalesce(max(id), 0) FROM statistics_row_changes") ?? 0
                try Self.sendStructure(c, into: &sink)
                try Self.sendRecords(c, changedAfter: nil, into: &sink)
                try c.exec("COMMIT")
                return StatisticsScan(changeSeq: seq, rowSeq: rowSeq)
            } catch {
                // A read transaction holds nothing to undo; the scan's own error is the one to report.
                do { try c.exec("ROLLBACK") } catch let rollback { throw StoreError("\(error) (and the rollback failed: \(rollback))") }
                throw error
            }
        }
    }

    /// Areas, buildings and memberships to the sink.
    private static func sendStructure<Sink: StatisticsRowSink>(_ c: SQLiteConnection, into sink: inout Sink) throws {
        let areas = try c.prepare("SELECT id, code, name, level, valid_from, valid_to FROM admin_areas")
        while try areas.step() {
            guard let level = AdminLevel(rawValue: areas.text(3) ?? "") else { continue }
            try sink.area(StatisticsAreaRow(id: areas.int(0), code: areas.text(1) ?? "", name: areas.text(2) ?? "", level: level,
                                            validFrom: areas.text(4), validTo: areas.text(5)))
        }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let buildings = try c.prepare("SELECT b.id, b.entity_code, b.cx, b.cy, b.use, \(Self.floorAreaSQL), b.valid_from, b.valid_to FROM buildings b")
        while try buildings.step() {
            try sink.building(StatisticsBuildingRow(
                id: buildings.int(0), entityCode: buildings.textBytes(1) ?? empty, cx: buildings.double(2), cy: buildings.double(3),
                use: buildings.textBytes(4), floorAreaMilli: buildings.int(5), validFrom: buildings.textBytes(6), validTo: buildings.textBytes(7)))
        }
        let members = try c.prepare("SELECT area_id, building_id FROM building_areas")
        while try members.step() { try sink.membership(areaID: members.int(0), buildingID: members.int(1)) }
    }

    /// People and businesses (all, or those changed after a row change, or listed) to the sink.
    private static func sendRecords<Sink: StatisticsRowSink>(_ c: SQLiteConnection, changedAfter rowSeq: Int64?, recheckPeople: [Int64] = [],
                                                              recheckBusinesses: [Int64] = [], into sink: inout Sink) throws {
        func condition(_ table: String) -> String {
            rowSeq == nil ? "" : " WHERE id IN (SELECT row_id FROM statistics_row_changes WHERE id > ?1 AND tbl = '\(table)') OR id IN (SELECT value FROM json_each(?2))"
        }
        func bind(_ recheck: [Int64]) -> [SQLValue] {
            rowSeq.map { [.int($0), .text("[" + recheck.map(String.init).joined(separator: ",") + "]")] } ?? []
        }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        let people = try c.prepare("SELECT building_code, household_id, sex, birth_year, registration, valid_from, valid_to, id FROM population\(condition("population"))")
        try people.bind(bind(recheckPeople))
        while try people.step() {
            try sink.person(StatisticsPersonRow(
                id: people.int(7), buildingCode: people.textBytes(0) ?? empty, household: people.textBytes(1), sex: people.textBytes(2),
                birthYear: people.isNull(3) ? nil : people.int(3), registration: people.textBytes(4),
                validFrom: people.textBytes(5), validTo: people.textBytes(6)))
        }
        let firms = try c.prepare("SELECT building_code, industry, coalesce(employees, 0), valid_from, valid_to, id FROM businesses\(condition("businesses"))")
        try firms.bind(bind(recheckBusinesses))
        while try firms.step() {
            try sink.business(StatisticsBusinessRow(
                id: firms.int(5), buildingCode: firms.textBytes(0) ?? empty, industry: firms.textBytes(1), employees: firms.int(2),
                validFrom: firms.textBytes(3), validTo: firms.textBytes(4)))
        }
    }

    public func scanStatisticsChanges<Sink: StatisticsRowSink>(afterRow rowSeq: Int64, limit: Int, recheckPeople: [Int64], recheckBusinesses: [Int64],
                                                               into sink: inout Sink) throws -> StatisticsChangeScan {
        try readers.with(timeLimited: false) { c -> StatisticsChangeScan in
            try c.exec("BEGIN")
            do {
                let seq = try c.scalarInt("SELECT coalesce(max(seq), 0) FROM change_extents") ?? 0
                let newest = try c.scalarInt("SELECT coalesce(max(id), 0) FROM statistics_row_changes") ?? 0
                let oldest = try c.scalarInt("SELECT min(id) FROM statistics_row_changes")
                func refuse() throws -> StatisticsChangeScan {
                    try c.exec("COMMIT")
                    return StatisticsChangeScan(changeSeq: seq, rowSeq: newest, applicable: false, structure: false, people: [], businesses: [])
                }
                // The log must reach back to the engine's row (rows after it pruned: unknown changes).
                if newest > rowSeq, let oldest, oldest > rowSeq + 1 { return try refuse() }
                if (try c.scalarInt("SELECT count(*) FROM statistics_row_changes WHERE id > ? AND tbl = 'reset'", [.int(rowSeq)]) ?? 0) > 0 { return try refuse() }
                let structure = (try c.scalarInt("SELECT count(*) FROM statistics_row_changes WHERE id > ? AND tbl = '*'", [.int(rowSeq)]) ?? 0) > 0
                var ids: [String: Set<Int64>] = ["population": Set(recheckPeople), "businesses": Set(recheckBusinesses)]
                let changed = try c.prepare("SELECT DISTINCT tbl, row_id FROM statistics_row_changes WHERE id > ? AND tbl IN ('population', 'businesses') LIMIT ?")
                try changed.bind([.int(rowSeq), .int(Int64(limit) + 1)])
                var count = 0
                while try changed.step() {
                    count += 1
                    ids[changed.text(0) ?? "", default: []].insert(changed.int(1))
                }
                if count > limit { return try refuse() }
                if structure { try Self.sendStructure(c, into: &sink) }
                try Self.sendRecords(c, changedAfter: rowSeq, recheckPeople: recheckPeople, recheckBusinesses: recheckBusinesses, into: &sink)
                try c.exec("COMMIT")
                return StatisticsChangeScan(changeSeq: seq, rowSeq: newest, applicable: true, structure: structure,
                                            people: (ids["population"] ?? []).sorted(), businesses: (ids["businesses"] ?? []).sorted())
            } catch {
                do { try c.exec("ROLLBACK") } catch let rollback { throw StoreError("\(error) (and the rollback failed: \(rollback))") }
                throw error
            }
        }
    }
}
