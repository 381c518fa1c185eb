import Foundation
import OneMapGeo
import OneMapStore

/// The rows the in-memory statistics engine keeps, read from one snapshot (REPEATABLE READ), and
/// the rows changed since its last read (the `statistics_row_changes` log the triggers fill).
extension PostgresStore {
    /// Footprint area times floors in thousandths of a square metre, as SpatiaLite computes it
    /// (`SpatiaLiteStore.floorAreaSQL`; half rounds up, as SQLite's round does for positive values).
    static let floorAreaSQL = "floor(ST_Area(b.geom) * (111320.0 * cos(radians(b.cy))) * 110574.0 * greatest(1, coalesce(b.floors, 1)) * 1000 + 0.5)::bigint"

    public func scanStatisticsRows<Sink: StatisticsRowSink>(into sink: inout Sink) throws -> StatisticsScan {
        try readers.with(timeLimited: false) { c in
            try c.snapshot {
                let seq = try c.query("SELECT coalesce(max(seq), 0) FROM change_extents").row(0).int(0)
                let rowSeq = try c.query("SELECT coalesce(max(id), 0) FROM statistics_row_changes").row(0).int(0)
                try Self.sendStructure(c, into: &sink)
                try Self.sendRecords(c, changedAfter: nil, into: &sink)
                return StatisticsScan(changeSeq: seq, rowSeq: rowSeq)
            }
        }
    }

    private static func sendStructure<Sink: StatisticsRowSink>(_ c: PGConnection, into sink: inout Sink) throws {
        try c.stream("SELECT id, code, name, level, valid_from, valid_to FROM admin_areas ORDER BY id") { r in
            guard let level = AdminLevel(rawValue: r.text(3) ?? "") else { return }
            try sink.area(StatisticsAreaRow(id: r.int(0), code: r.text(1) ?? "", name: r.text(2) ?? "", level: level,
                                            validFrom: r.text(4), validTo: r.text(5)))
        }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        try c.stream("SELECT b.id, b.entity_code, b.cx, b.cy, b.use, \(floorAreaSQL), b.valid_from, b.valid_to FROM buildings b ORDER BY b.id") { r in
            try sink.building(StatisticsBuildingRow(
                id: r.int(0), entityCode: r.textBytes(1) ?? empty, cx: r.double(2), cy: r.double(3), use: r.textBytes(4),
                floorAreaMilli: r.int(5), validFrom: r.textBytes(6), validTo: r.textBytes(7)))
        }
        try c.stream("SELECT area_id, building_id FROM building_areas ORDER BY area_id, building_id") { r in
            try sink.membership(areaID: r.int(0), buildingID: r.int(1))
        }
    }

    /// People and businesses (all, or those changed after a row change, or listed) to the sink.
    private static func sendRecords<Sink: StatisticsRowSink>(_ c: PGConnection, changedAfter rowSeq: Int64?, recheckPeople: [Int64] = [],
                                                              recheckBusinesses: [Int64] = [], into sink: inout Sink) throws {
        func condition(_ table: String) -> String {
            rowSeq == nil ? "" : " WHERE id IN (SELECT row_id FROM statistics_row_changes WHERE id > $1 AND tbl = '\(table)') OR id = ANY($2::bigint[])"
        }
        func parameters(_ recheck: [Int64]) -> [SQLValue] {
            rowSeq.map { [.int($0), .text("{" + recheck.map(String.init).joined(separator: ",") + "}")] } ?? []
        }
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        try c.stream("SELECT building_code, household_id, sex, birth_year, registration, valid_from, valid_to, id FROM population\(condition("population")) ORDER BY id",
                     parameters(recheckPeople)) { r in
            try sink.person(StatisticsPersonRow(
                id: r.int(7), buildingCode: r.textBytes(0) ?? empty, household: r.textBytes(1), sex: r.textBytes(2),
                birthYear: r.isNull(3) ? nil : r.int(3), registration: r.textBytes(4), validFrom: r.textBytes(5), validTo: r.textBytes(6)))
        }
        try c.stream("SELECT building_code, industry, coalesce(employees, 0), valid_from, valid_to, id FROM businesses\(condition("businesses")) ORDER BY id",
                     parameters(recheckBusinesses)) { r in
            try sink.business(StatisticsBusinessRow(
                id: r.int(5), buildingCode: r.textBytes(0) ?? empty, industry: r.textBytes(1), employees: r.int(2),
                validFrom: r.textBytes(3), validTo: r.textBytes(4)))
        }
    }

    public func scanStatisticsChanges<Sink: StatisticsRowSink>(afterRow rowSeq: Int64, limit: Int, recheckPeople: [Int64], recheckBusinesses: [Int64],
                                                               into sink: inout Sink) throws -> StatisticsChangeScan {
        try readers.with(timeLimited: false) { c in
            try c.snapshot {
                let seq = try c.query("SELECT coalesce(max(seq), 0) FROM change_extents").row(0).int(0)
                let bounds = try c.query("SELECT coalesce(max(id), 0), min(id) FROM statistics_row_changes").row(0)
                let newest = bounds.int(0), oldest: Int64? = bounds.isNull(1) ? nil : bounds.int(1)
                let refused = StatisticsChangeScan(changeSeq: seq, rowSeq: newest, applicable: false, structure: false, people: [], businesses: [])
                // The log must reach back to the engine's row (rows after it pruned: unknown changes).
                if newest > rowSeq, let oldest, oldest > rowSeq + 1 { return refused }
                let kinds = try c.query("SELECT count(*) FILTER (WHERE tbl = 'reset'), count(*) FILTER (WHERE tbl = '*') FROM statistics_row_changes WHERE id > $1",
                                        [.int(rowSeq)]).row(0)
                if kinds.int(0) > 0 { return refused }
                let structure = kinds.int(1) > 0
                var ids: [String: Set<Int64>] = ["population": Set(recheckPeople), "businesses": Set(recheckBusinesses)]
                let changed = try c.query("SELECT DISTINCT tbl, row_id FROM statistics_row_changes WHERE id > $1 AND tbl IN ('population', 'businesses') LIMIT $2",
                                          [.int(rowSeq), .int(Int64(limit) + 1)])
                if changed.rows > limit { return refused }
                for r in changed.all { ids[r.text(0) ?? "", default: []].insert(r.int(1)) }
                if structure { try Self.sendStructure(c, into: &sink) }
                try Self.sendRecords(c, changedAfter: rowSeq, recheckPeople: recheckPeople, recheckBusinesses: recheckBusinesses, into: &sink)
                return StatisticsChangeScan(changeSeq: seq, rowSeq: newest, applicable: true, structure: structure,
                                            people: (ids["population"] ?? []).sorted(), businesses: (ids["businesses"] ?? []).sorted())
            }
        }
    }
}
