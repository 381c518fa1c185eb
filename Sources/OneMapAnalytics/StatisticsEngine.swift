import Foundation
import OneMapGeo
import OneMapStore

/// Area statistics from memory: the store's people, businesses and buildings as columns
/// (`StatisticsColumns`), answered by scanning the buildings an area holds. Figures are exactly
/// those of the store's SQL (`FeatureStore.areaStatistics`, the oracle the tests compare with):
/// the same centroid rule, day rule, household rule and key order.
///
/// An engine is immutable once built; `StatisticsService` replaces it when the store changes.
public final class StatisticsEngine: AreaStatisticsProvider, Sendable {
    let columns: StatisticsColumns
    let keys: RecordKeys
    /// How the engine's rows were numbered, for updates.
    let index: RecordIndex
    /// The newest store change the engine includes.
    public let changeSeq: Int64
    /// The newest row change (of people and businesses) it includes.
    public let rowSeq: Int64
    /// Seconds the build took (scan and layout).
    public let buildSeconds: Double
    /// How this engine was made: a build from every row, or an update of the previous engine with
    /// the rows that changed (how many, and in how many seconds).
    public let madeBy: Origin

    public enum Origin: Sendable, Equatable {
        case build
        /// `structure`: buildings and areas were read again.
        case update(rows: Int, structure: Bool, seconds: Double)
    }

    init(columns: StatisticsColumns, keys: RecordKeys, index: RecordIndex, scan: StatisticsScan, buildSeconds: Double, madeBy: Origin) {
        self.columns = columns; self.keys = keys; self.index = index; self.changeSeq = scan.changeSeq; self.rowSeq = scan.rowSeq
        self.buildSeconds = buildSeconds; self.madeBy = madeBy
    }

    /// Changed rows above this many: building anew is as quick as merging them in.
    public static let updateLimit = 200_000

    /// This engine with the store's changes since it was made: the changed people and businesses
    /// read by id and merged into the columns (one linear pass), without reading every row again;
    /// when buildings or areas changed, those (a tenth of the rows) are read and laid out again too.
    /// Nil when the changes cannot be applied so (a bulk load, too many rows, or the log no longer
    /// reaches back): build anew.
    public func updated(from store: any FeatureStore) throws -> StatisticsEngine? {
        let started = DispatchTime.now().uptimeNanoseconds
        var patch = RecordPatch(index: index, keys: keys)
        // Rows no building held are read again: a new building may hold them now.
        let scan = try store.scanStatisticsChanges(afterRow: rowSeq, limit: Self.updateLimit, recheckPeople: index.unplacedPeople.sorted(),
                                                   recheckBusinesses: index.unplacedFirms.sorted(), into: &patch)
        guard scan.applicable else { return nil }
        let (merged, nextIndex) = patch.merged(into: columns, changedPeople: scan.people, changedFirms: scan.businesses)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        return StatisticsEngine(columns: merged, keys: keys, index: nextIndex, scan: StatisticsScan(changeSeq: scan.changeSeq, rowSeq: scan.rowSeq),
                                buildSeconds: buildSeconds, madeBy: .update(rows: scan.people.count + scan.businesses.count, structure: scan.structure, seconds: seconds))
    }

    /// Reads every row from the store (one snapshot) and lays the columns out. `secret` replaces the
    /// store's disclosure-control secret (tests that need the same noise on every run).
    public static func build(from store: any FeatureStore, secret: [UInt8]? = nil) throws -> StatisticsEngine {
        let started = DispatchTime.now().uptimeNanoseconds
        let keys = RecordKeys(secret: try secret ?? store.statisticsSecret())
        var builder = StatisticsColumnsBuilder(keys: keys)
        let scan = try store.scanStatisticsRows(into: &builder)
        let columns = builder.finish()
        let index = builder.recordIndex
        builder = StatisticsColumnsBuilder(keys: keys)
        // The build's scaffolding (text tables, row orders) is freed: hand the pages back to the
        // system, or the server's resident size keeps the build's peak.
        ProcessMemory.returnFreePages()
        return StatisticsEngine(columns: columns, keys: keys, index: index, scan: scan,
                                buildSeconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9, madeBy: .build)
    }

    /// What /health shows.
    public var summary: [String: Int] {
        ["areaVersions": columns.areaCount, "buildingVersions": columns.buildingCount, "people": columns.peopleCount,
         "businesses": columns.firmCount, "memoryBytes": memoryBytes,
         "unplacedPeople": columns.unplacedPeople, "unplacedBusinesses": columns.unplacedFirms]
    }

    public var memoryBytes: Int { columns.memoryBytes + index.memoryBytes }

    public func areaStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension]) throws -> AreaStatistics? {
        try areaStatistics(area, on: day, groupBy: groupBy, protection: .none)
    }

    /// The figures with the `protection` kinds published by `DisclosureControl` (a drawn area then
    /// counts the statistical grid cells whose centre it contains).
    public func areaStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension],
                               protection: StatisticsProtection) throws -> AreaStatistics? {
        guard ISODate.isValid(day), let d = DayNumber.parse(day) else { throw StoreError("day '\(day)' is not a YYYY-MM-DD date") }
        var stats = AreaStatistics(day: day)
        let selection: [Int32]
        switch area {
        case .code(let code):
            guard let version = columns.versionsOfCode[code]?.first(where: { columns.areaFrom[Int($0)] <= d && columns.areaTo[Int($0)] > d }) else {
                return nil
            }
            stats.name = columns.areaName[Int(version)]
            selection = buildings(ofArea: Int(version), on: d)
        case .geometry(let g):
            guard !g.polygons.isEmpty else { throw StoreError("the area must be a Polygon or MultiPolygon, not a \(g.typeName)") }
            selection = protection.any ? try buildings(inCellsOf: g, on: d) : try buildings(in: g, on: d)
        }
        let year = Int(day.prefix(4)) ?? 2000
        if protection.any {
            ProtectedQuery(columns: columns, keys: keys, day: d, year: year, groupBy: groupBy, protection: protection).run(selection, into: &stats)
        } else {
            var query = EngineQuery(columns: columns, day: d, year: year, groupBy: groupBy)
            query.run(selection, into: &stats)
        }
        return stats
    }

    /// Totals on each day with the `protection` kinds published by `DisclosureControl` (day by day).
    public func areaTotals(code: String, on days: [String], protection: StatisticsProtection) throws -> [AreaTotals?] {
        guard protection.any else { return try areaTotals(code: code, on: days) }
        return try days.map { try areaStatistics(.code(code), on: $0, groupBy: [], protection: protection).map(AreaTotals.init) }
    }

    public func areaTotals(code: String, on days: [String]) throws -> [AreaTotals?] {
        var numbers: [Int32] = []
        for day in days {
            guard ISODate.isValid(day), let d = DayNumber.parse(day) else { throw StoreError("day '\(day)' is not a YYYY-MM-DD date") }
            numbers.append(d)
        }
        // One pass needs the days in order; any other order is asked day by day.
        guard zip(numbers, numbers.dropFirst()).allSatisfy({ $0 < $1 }) else { return try totalsDayByDay(code: code, on: days) }
        let versions = columns.versionsOfCode[code] ?? []
        let versionOfStep = numbers.map { d in versions.first { columns.areaFrom[Int($0)] <= d && columns.areaTo[Int($0)] > d }.map(Int.init) }
        return EngineSeries(c: columns, days: numbers).run(versionOfStep: versionOfStep, texts: days)
    }

    /// The building versions standing on `d` linked to area version `a` (the centroid rule's table).
    private func buildings(ofArea a: Int, on d: Int32) -> [Int32] {
        let c = columns
        let range = Int(c.areaBuildingStart[a])..<Int(c.areaBuildingStart[a + 1])
        var out: [Int32] = []
        out.reserveCapacity(range.count)
        c.areaBuildings.withUnsafeBufferPointer { list in
            c.buildingFrom.withUnsafeBufferPointer { from in
                c.buildingTo.withUnsafeBufferPointer { to in
                    for i in range {
                        let b = Int(list[i])
                        if from[b] <= d && to[b] > d { out.append(list[i]) }
                    }
                }
            }
        }
        return out
    }

    /// The building versions standing on `d` in the statistical grid cells whose centre the area
    /// contains (protected answers: a hole or a bulge smaller than a cell changes nothing).
    private func buildings(inCellsOf area: Geometry, on d: Int32) throws -> [Int32] {
        guard let box = area.bbox?.expanded(by: DisclosureControl.cellDegrees) else { return [] }
        let c = columns
        let prepared = try GeometryEngine().prepare(.multiPolygon(area.polygons))
        var inside: [Int64: Bool] = [:]
        var out: [Int32] = []
        c.grid.cells(meeting: box) { cell, _ in
            for i in c.grid.buildings(inCell: cell) {
                let b = Int(c.grid.cellBuildings[i])
                guard c.buildingFrom[b] <= d && c.buildingTo[b] > d else { continue }
                let statisticalCell = c.buildingCell[b]
                let taken: Bool
                if let known = inside[statisticalCell] { taken = known } else {
                    let centre = DisclosureControl.centre(of: statisticalCell)
                    taken = prepared.contains(Position(centre.x, centre.y))
                    inside[statisticalCell] = taken
                }
                if taken { out.append(Int32(b)) }
            }
        }
        return out
    }

    /// The building versions standing on `d` whose centroid the area contains (GEOS prepared
    /// contains, the SQL path's test), found through the centroid grid.
    private func buildings(in area: Geometry, on d: Int32) throws -> [Int32] {
        guard let box = area.bbox else { return [] }
        let c = columns
        let prepared = try GeometryEngine().prepare(.multiPolygon(area.polygons))
        var out: [Int32] = []
        try c.grid.cells(meeting: box) { cell, rect in
            let range = c.grid.buildings(inCell: cell)
            guard !range.isEmpty else { return }
            // A cell wholly inside the area needs no point tests (worth asking only for busy cells).
            let inside = range.count >= 16 ? try prepared.containsProperly(rect.polygon) : false
            for i in range {
                let b = Int(c.grid.cellBuildings[i])
                guard c.buildingFrom[b] <= d && c.buildingTo[b] > d else { continue }
                if inside {
                    out.append(Int32(b))
                    continue
                }
                let x = c.buildingX[b], y = c.buildingY[b]
                guard x >= box.minX && x <= box.maxX && y >= box.minY && y <= box.maxY else { continue }
                if prepared.contains(Position(x, y)) { out.append(Int32(b)) }
            }
        }
        return out
    }
}

