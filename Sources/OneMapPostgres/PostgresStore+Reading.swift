import Foundation
import OneMapGeo
import OneMapStore

/// Feature reads: tiles, pages, counts, single features, extents and area lists.
extension PostgresStore {
    public func features(layer: String, intersecting bbox: BBox, during time: TimeFilter, limit: Int?,
                         _ body: (StoredFeature) throws -> Void) throws {
        try queryFeatures(FeatureQuery(layer: layer, bbox: bbox, time: time, limit: limit), body)
    }

    public func queryFeatures(_ q: FeatureQuery, _ body: (StoredFeature) throws -> Void) throws {
        let plan = try readPlan(q.layer, time: q.time, equals: q.equals, filter: q.filter)
        let order = try ReadRules.sortKeys(q, info: plan.info)
        let sql = plan.sql.sql(.page, bbox: q.bbox != nil, exactBox: q.exactBox, filters: plan.filters, extra: plan.condition, order: order)
        let params = Self.parameters(q, day: plan.day, ninth: Int64(q.offset), filters: plan.filterValues)
        // A streamed read (an export) runs without the per-request limit; rows arrive one by one.
        try readers.with(timeLimited: !q.streamed) { c in
            try c.stream(sql, params, prepare: plan.condition == nil) { row in try body(try plan.read(row)) }
        }
    }

    public func countFeatures(_ q: FeatureQuery) throws -> Int {
        let plan = try readPlan(q.layer, time: q.time, equals: q.equals, filter: q.filter)
        let sql = plan.sql.sql(.count, bbox: q.bbox != nil, exactBox: q.exactBox, filters: plan.filters, extra: plan.condition)
        return try readers.with(timeLimited: !q.streamed) { c in
            Int(try c.query(sql, Self.parameters(q, day: plan.day, ninth: 0, filters: plan.filterValues), prepare: plan.condition == nil).row(0).int(0))
        }
    }

    public func feature(layer: String, id: Int64, countsOn day: String) throws -> StoredFeature? {
        let plan = try readPlan(layer, time: .instant(day), equals: [])
        return try readers.with { c in
            let r = try c.query(plan.sql.sql(.one, bbox: false, filters: []),
                                Self.parameters(FeatureQuery(layer: layer, time: .instant(day)), day: day, ninth: id, filters: []), prepare: true)
            return r.rows > 0 ? try plan.read(r.row(0)) : nil
        }
    }

    /// $1..$9 and the property values, as `PGLayerSQL` numbers them.
    private static func parameters(_ q: FeatureQuery, day: String, ninth: Int64, filters: [SQLValue]) -> [SQLValue] {
        // Without a box its parameters are unused: zeros, not NULLs (an unused NULL has no type).
        let b = q.bbox ?? BBox(minX: 0, minY: 0, maxX: 0, maxY: 0)
        return [.double(b.minX), .double(b.minY), .double(b.maxX), .double(b.maxY),
                q.time.start.map { .text($0) } ?? .null, q.time.end.map { .text($0) } ?? .null, .text(day),
                .int(Int64(q.limit ?? Int(Int64.max))), .int(ninth)] + filters
    }

    /// How to read one layer for one day: its SQL parts, the filters, and the row decoder.
    private struct ReadPlan {
        let info: LayerInfo
        let sql: PGLayerSQL
        let day: String
        let filters: [Int]
        let filterValues: [SQLValue]
        var condition: String?
        /// Area populations of a day the stored column does not hold, by area id.
        let areaPopulation: [Int64: Int]?

        func read(_ r: PGRow) throws -> StoredFeature {
            guard let geom = try r.withBytes(1, { try $0.map { try WKB.decode($0) } }) else {
                throw StoreError("feature \(r.int(0)) of \(info.id) has no geometry", kind: .internal)
            }
            var values = info.fields.indices.map { r.fieldValue($0 + 2, as: info.fields[$0].type) }
            let id = r.int(0)
            if let areaPopulation, let pi = info.fields.firstIndex(where: { $0.name == "population" }) {
                values[pi] = .int(Int64(areaPopulation[id] ?? 0))
            }
            return StoredFeature(id: id, geometry: geom, values: values)
        }
    }

    public func filterableFields(layer: String, countsOn day: String) throws -> [FieldInfo] {
        guard let info = try self.layer(id: layer) else { return [] }
        return ReadRules.filterable(info, countsHold: try storedCountsHold(on: day))
    }

    private func readPlan(_ layer: String, time: TimeFilter, equals: [PropertyEquals], filter: FilterExpression? = nil) throws -> ReadPlan {
        guard let info = try self.layer(id: layer), info.isSpatial else {
            throw StoreError("layer \(layer) has no geometry to query")
        }
        let day = time.countsDay
        let current = try storedCountsHold(on: day)
        let sql: PGLayerSQL
        switch layer {
        case "admin_areas": sql = .adminAreas
        case "admin_labels": sql = .adminLabels
        case "buildings": sql = .buildings(asOf: !current)
        default: sql = .userLayer(PGUserLayerTable(info))
        }
        let filterable = equals.isEmpty && filter == nil ? [] : ReadRules.filterable(info, countsHold: current)
        var (filters, values) = try ReadRules.equalities(equals, info: info, filterable: filterable)
        let areaPopulation: [Int64: Int]? = (layer.hasPrefix("admin_") && !current) ? try areaPopulations(on: day) : nil
        var condition: String?
        if let filter {
            var compiler = FilterCompiler(info: info, sql: sql.filterColumns, dialect: .postgres, firstParameter: 10 + values.count,
                                          allowed: Set(filterable.map(\.name)))
            condition = try compiler.compile(filter)
            values += compiler.parameters
        }
        return ReadPlan(info: info, sql: sql, day: day, filters: filters, filterValues: values, condition: condition, areaPopulation: areaPopulation)
    }

    /// The table a layer's features are in (from the catalog, never from the caller's text).
    func table(of info: LayerInfo) -> String {
        switch info.id {
        case "admin_areas", "admin_labels": "admin_areas"
        case "buildings": "buildings"
        case "population", "businesses": info.id
        default: PGUserLayerTable(info).table
        }
    }

    public func extent(layer: String) throws -> BBox? {
        guard let info = try self.layer(id: layer), info.isSpatial else { return nil }
        let table = table(of: info)
        return try readers.with { c in
            // From the coordinates (box3d), not the single-precision boxes PostGIS keeps with each geometry.
            let r = try c.query("SELECT min(ST_XMin(geom::box3d)), min(ST_YMin(geom::box3d)), max(ST_XMax(geom::box3d)), max(ST_YMax(geom::box3d)) FROM \"\(table)\"")
            guard r.rows > 0, !r.row(0).isNull(0) else { return nil }
            let row = r.row(0)
            return BBox(minX: row.double(0), minY: row.double(1), maxX: row.double(2), maxY: row.double(3)).roundedOutToSinglePrecision
        }
    }

    public func adminAreas(level: AdminLevel?, asOf: String) throws -> [AdminAreaSummary] {
        let areaPopulation = try storedCountsHold(on: asOf) ? nil : try areaPopulations(on: asOf)
        return try readers.with { c in
            try c.query("""
                SELECT id, code, name, level, parent_code, population, valid_from, valid_to, synthetic FROM admin_areas
                WHERE ($1::text IS NULL OR level = $1) AND (valid_from IS NULL OR valid_from <= $2) AND (valid_to IS NULL OR valid_to > $2)
                ORDER BY code
                """, [level.map { .text($0.rawValue) } ?? .null, .text(asOf)], prepare: true).all.map { r in
                AdminAreaSummary(code: r.text(1) ?? "", name: r.text(2) ?? "", level: AdminLevel(rawValue: r.text(3) ?? "") ?? .grid,
                                 parentCode: r.text(4), population: areaPopulation.map { $0[r.int(0)] ?? 0 } ?? Int(r.int(5)),
                                 validFrom: r.text(6), validTo: r.text(7), synthetic: r.int(8) != 0)
            }
        }
    }

    public func count(layer: String) throws -> Int {
        guard let info = try self.layer(id: layer) else { throw StoreError("unknown layer \(layer)", kind: .notFound) }
        let table = CoreLayers.all.contains(where: { $0.id == info.id }) ? info.id : PGUserLayerTable(info).table
        return try readers.with { c in Int(try c.query("SELECT count(*) FROM \"\(table)\"").row(0).int(0)) }
    }

    // MARK: counts on other days

    /// True when the counts stored with buildings and areas are those of `day`.
    func storedCountsHold(on day: String) throws -> Bool {
        let range = try countsRange()
        return (range.from.map { $0 <= day } ?? true) && (range.until.map { day < $0 } ?? true)
    }

    private func countsRange() throws -> (from: String?, until: String?) {
        if let r = derived.withLock({ $0.countsRange }) { return r }
        let r = try readers.with { c -> (String?, String?) in
            var from: String?, until: String?
            for row in try c.query("SELECT key, value FROM derived_state WHERE key IN ('counts_from', 'counts_until')", prepare: true).all {
                if row.text(0) == "counts_from" { from = row.text(1) } else { until = row.text(1) }
            }
            return (from, until)
        }
        derived.withLock { $0.countsRange = r }
        return r
    }

    /// Residents per area version on `day` (area id -> count), by the stored building membership;
    /// memoised per day (a time slider asks for the same few days again and again).
    func areaPopulations(on day: String) throws -> [Int64: Int] {
        if let hit = derived.withLock({ $0.areaPopulationByDay[day] }) { return hit }
        let result = try readers.with { c -> [Int64: Int] in
            var out: [Int64: Int] = [:]
            for r in try c.query("""
                SELECT ba.area_id, count(*) FROM population p
                JOIN buildings b ON b.entity_code = p.building_code
                JOIN building_areas ba ON ba.building_id = b.id
                WHERE p.valid_from <= $1 AND (p.valid_to IS NULL OR p.valid_to > $1)
                  AND b.valid_from <= $1 AND (b.valid_to IS NULL OR b.valid_to > $1)
                GROUP BY ba.area_id
                """, [.text(day)], prepare: true).all { out[r.int(0)] = Int(r.int(1)) }
            return out
        }
        derived.withLock {
            if $0.areaPopulationByDay.count >= 64 { $0.areaPopulationByDay.removeAll() }
            $0.areaPopulationByDay[day] = result
        }
        return result
    }
}

/// Facts derived from the data, cached until the next change.
struct DerivedCache {
    var countsRange: (from: String?, until: String?)?
    var areaPopulationByDay: [String: [Int64: Int]] = [:]
}

/// A value behind a lock.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        try lock.withLock { try body(&value) }
    }
}
