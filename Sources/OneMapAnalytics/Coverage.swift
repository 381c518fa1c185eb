import Foundation
import OneMapGeo
import OneMapStore

/// A facility of a coverage question: where it stands and, when capacity is asked, what it takes.
public struct CoverageFacility: Sendable {
    public let id: Int64
    public let position: Position
    /// Places (or residents it is staffed for); nil or ≤ 0: none.
    public let capacity: Double?

    public init(id: Int64, position: Position, capacity: Double?) {
        self.id = id; self.position = position; self.capacity = capacity
    }
}

/// Who can reach a layer of facilities: the residents of an area on a day whose building lies
/// within a straight-line radius of at least one facility.
public struct CoverageQuestion: Sendable {
    public var facilities: [CoverageFacility]
    public var radiusMetres: Double
    public var day: String
    /// The area whose residents are counted (an administrative code).
    public var area: String
    /// The age bands counted (indices into `StatisticsDimension.ageBands`); nil: everyone.
    public var ageBands: [Int]?
    /// Whether capacity is shared out (two-step floating catchment).
    public var capacity: Bool

    public init(facilities: [CoverageFacility], radiusMetres: Double, day: String, area: String, ageBands: [Int]?, capacity: Bool) {
        self.facilities = facilities; self.radiusMetres = radiusMetres; self.day = day; self.area = area
        self.ageBands = ageBands; self.capacity = capacity
    }
}

/// The residents of one place within and beyond reach, by age band.
public struct CoverageFigures: Sendable, Equatable {
    /// Residents counted (all, or those of the bands asked).
    public var within = 0, beyond = 0
    /// By age band (all four; bands not asked stay 0).
    public var withinByBand = [0, 0, 0, 0], beyondByBand = [0, 0, 0, 0]
    /// Residents whose share of the places within reach covers them (capacity asked).
    public var served = 0.0

    public var people: Int { within + beyond }

    mutating func add(_ n: Int, bands: [Int], reached: Bool, served s: Double) {
        if reached {
            within += n
            for k in 0..<4 { withinByBand[k] += bands[k] }
        } else {
            beyond += n
            for k in 0..<4 { beyondByBand[k] += bands[k] }
        }
        served += s
    }
}

public struct CoverageTownship: Sendable {
    public let code: String
    public let name: String
    public var figures: CoverageFigures
}

/// A coverage answer. Protected answers (`protectedCells` set) are sums of published statistical
/// grid cells: reach is measured from each cell's centre, every figure is a sum of cells' published
/// counts (`DisclosureControl`), and uncovered cells publishing fewer than 5 are left out.
public struct CoverageResult: Sendable {
    public var day: String
    public var areaCode: String
    public var areaName: String
    public var total = CoverageFigures()
    /// Townships of the area with residents, by code.
    public var townships: [CoverageTownship] = []
    /// Residents counted within reach of each facility (the question's order).
    public var demand: [Int] = []
    /// Statistical grid cells with residents beyond reach: the cell (`DisclosureControl` packing)
    /// and its residents beyond reach.
    public var uncoveredCells: [UncoveredCell] = []
    /// Statistical grid cells the protected answer summed; nil: exact.
    public var protectedCells: Int?
}

/// A statistical grid cell (0.0025°) whose residents are beyond reach.
public struct UncoveredCell: Sendable, Equatable {
    public let minX: Double, minY: Double
    public let people: Int
    public var bbox: BBox { BBox(minX: minX, minY: minY, maxX: minX + DisclosureControl.cellDegrees, maxY: minY + DisclosureControl.cellDegrees) }
}

/// Distances on Sanming's scale (≤ 50 km): local equirectangular at the pair's mean latitude, with
/// the ellipsoid's metres per degree there (within 0.05% of the geodesic distance at 50 km).
enum LocalDistance {
    @inline(__always)
    static func metresPerDegree(latitude: Double) -> (lon: Double, lat: Double) {
        // One cosine: cos 2φ, 3φ and 4φ follow from cos φ.
        let c = cos(latitude * .pi / 180)
        let c2 = 2 * c * c - 1, c3 = (4 * c * c - 3) * c, c4 = 2 * c2 * c2 - 1
        return (111_412.84 * c - 93.5 * c3, 111_132.954 - 559.822 * c2 + 1.175 * c4)
    }

    @inline(__always)
    static func metres(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> Double {
        let m = metresPerDegree(latitude: (y0 + y1) / 2)
        let dx = (x1 - x0) * m.lon, dy = (y1 - y0) * m.lat
        return (dx * dx + dy * dy).squareRoot()
    }

    /// The nearest and farthest distance from a point to a rectangle, with the scale `m` of the
    /// point's latitude (cheap; within 0.5% of `metres` up to 50 km, which callers allow for).
    @inline(__always)
    static func range(_ x: Double, _ y: Double, _ r: BBox, scale m: (lon: Double, lat: Double)) -> (min: Double, max: Double) {
        let nx = (min(max(x, r.minX), r.maxX) - x) * m.lon, ny = (min(max(y, r.minY), r.maxY) - y) * m.lat
        let fx = max(abs(x - r.minX), abs(x - r.maxX)) * m.lon, fy = max(abs(y - r.minY), abs(y - r.maxY)) * m.lat
        return ((nx * nx + ny * ny).squareRoot(), (fx * fx + fy * fy).squareRoot())
    }
}

extension StatisticsEngine {
    /// Answers a coverage question: exact from each building's centroid, or, with `protected`,
    /// from the statistical grid cells' published counts. Nil when the area does not exist that day.
    public func coverage(_ q: CoverageQuestion, protected: Bool) throws -> CoverageResult? {
        guard ISODate.isValid(q.day), let d = DayNumber.parse(q.day) else { throw StoreError("day '\(q.day)' is not a YYYY-MM-DD date") }
        let c = columns
        guard let version = c.versionsOfCode[q.area]?.first(where: { c.areaFrom[Int($0)] <= d && c.areaTo[Int($0)] > d }) else { return nil }
        var result = CoverageResult(day: q.day, areaCode: q.area, areaName: c.areaName[Int(version)])
        let year = Int32(clamping: Int(q.day.prefix(4)) ?? 2000)
        let buildings = standingBuildings(ofArea: Int(version), on: d)
        var units = protected
            ? CoverageUnits.cells(c, keys: keys, buildings: buildings, day: d, year: year, bands: q.ageBands)
            : CoverageUnits.buildings(c, buildings: buildings, day: d, year: year, bands: q.ageBands)
        if protected { result.protectedCells = units.cellCount }
        let reach = CoverageReach(units: units, facilities: q.facilities, radius: q.radiusMetres, capacity: q.capacity)
        result.demand = reach.demand.map { Int($0) }

        // Figures: the area's total, its townships, the cells beyond reach.
        var townships: [Int: CoverageFigures] = [:]
        var uncovered: [Int64: Int] = [:]
        var bands = [0, 0, 0, 0]
        for u in 0..<units.count {
            let n = Int(units.considered[u])
            guard units.bandCounts(u, into: &bands) > 0 || n > 0 else { continue }
            let reached = reach.reached(u)
            let served = q.capacity ? Double(n) * min(1, reach.supply(u)) : 0
            result.total.add(n, bands: bands, reached: reached, served: served)
            townships[Int(units.township[u]), default: CoverageFigures()].add(n, bands: bands, reached: reached, served: served)
            if !reached && n > 0 { uncovered[units.cell[u], default: 0] += n }
        }
        for (g, figures) in townships {
            let texts = units.places.texts(of: g)
            guard let code = texts[.township], !code.isEmpty else { continue }
            result.townships.append(CoverageTownship(code: code, name: areaName(code, on: d) ?? code, figures: figures))
        }
        result.townships.sort { $0.code < $1.code }
        let shown = protected ? DisclosureControl.threshold : 1
        result.uncoveredCells = uncovered.filter { $0.value >= shown }.map { cell, n in
            let centre = DisclosureControl.centre(of: cell), h = DisclosureControl.cellDegrees / 2
            return UncoveredCell(minX: centre.x - h, minY: centre.y - h, people: n)
        }.sorted { ($0.minY, $0.minX) < ($1.minY, $1.minX) }
        return result
    }

    /// The building versions standing on `d` linked to area version `a`.
    func standingBuildings(ofArea a: Int, on d: Int32) -> [Int32] {
        let c = columns
        return c.areaBuildings[Int(c.areaBuildingStart[a])..<Int(c.areaBuildingStart[a + 1])].filter {
            c.buildingFrom[Int($0)] <= d && c.buildingTo[Int($0)] > d
        }
    }

    func areaName(_ code: String, on d: Int32) -> String? {
        let c = columns
        return c.versionsOfCode[code]?.first { c.areaFrom[Int($0)] <= d && c.areaTo[Int($0)] > d }.map { c.areaName[Int($0)] }
    }
}

/// The places people are counted at: building centroids (exact), or statistical grid cells within
/// one township (protected, published counts at the cell's centre).
struct CoverageUnits {
    var x: [Double] = [], y: [Double] = []
    /// Residents counted (the bands asked, or all).
    var considered: [Int32] = []
    /// Residents by age band, four per unit.
    var bands: [Int32] = []
    /// The unit's township group (`places`) and statistical grid cell.
    var township: [Int32] = []
    var cell: [Int64] = []
    var places: PlaceGrouping
    var cellCount = 0

    var count: Int { x.count }

    /// Copies unit `u`'s band counts into `out`; their sum.
    @inline(__always)
    func bandCounts(_ u: Int, into out: inout [Int]) -> Int {
        var s = 0
        for k in 0..<4 { out[k] = Int(bands[u * 4 + k]); s += out[k] }
        return s
    }

    /// One unit per standing building of the area, with its exact residents.
    static func buildings(_ c: StatisticsColumns, buildings: [Int32], day: Int32, year: Int32, bands asked: [Int]?) -> CoverageUnits {
        var u = CoverageUnits(places: PlaceGrouping(columns: c, day: day, groupBy: [.township]))
        let take = bandMask(asked)
        u.x.reserveCapacity(buildings.count); u.y.reserveCapacity(buildings.count)
        u.considered.reserveCapacity(buildings.count); u.bands.reserveCapacity(buildings.count * 4)
        let count = buildings.count
        u.x = buildings.map { c.buildingX[Int($0)] }
        u.y = buildings.map { c.buildingY[Int($0)] }
        u.cell = buildings.map { c.buildingCell[Int($0)] }
        u.township = [Int32](repeating: 0, count: count)
        for (i, b) in buildings.enumerated() { u.township[i] = Int32(u.places.group(of: Int(b))) }
        u.bands = [Int32](repeating: 0, count: count * 4)
        u.considered = [Int32](repeating: 0, count: count)
        // People in one pass over flat arrays (no per-building allocation).
        c.personFrom.withUnsafeBufferPointer { from in
            c.personTo.withUnsafeBufferPointer { to in
                c.personBirthYear.withUnsafeBufferPointer { born in
                    u.bands.withUnsafeMutableBufferPointer { bands in
                        for (i, b) in buildings.enumerated() {
                            let e = Int(c.buildingEntity[Int(b)])
                            for p in Int(c.entityPeopleStart[e])..<Int(c.entityPeopleStart[e + 1]) where from[p] <= day && to[p] > day {
                                bands[i * 4 + StatisticsColumns.ageBand(birthYear: born[p], year: year)] += 1
                            }
                        }
                    }
                }
            }
        }
        for i in 0..<count {
            var n: Int32 = 0
            for k in 0..<4 { if take[k] { n += u.bands[i * 4 + k] } else { u.bands[i * 4 + k] = 0 } }
            u.considered[i] = n
        }
        return u
    }

    /// One unit per (statistical grid cell, township) of the area: its residents tallied with their
    /// record keys and published (`RecordKeys.count`), placed at the cell's centre.
    static func cells(_ c: StatisticsColumns, keys: RecordKeys, buildings: [Int32], day: Int32, year: Int32, bands asked: [Int]?) -> CoverageUnits {
        var u = CoverageUnits(places: PlaceGrouping(columns: c, day: day, groupBy: [.township]))
        let take = bandMask(asked)
        typealias Tally = ProtectedQuery.Tally
        struct Atom { var total = Tally(); var band = [Tally](repeating: Tally(), count: 4) }
        var atoms: [Int64: Int] = [:]  // (cell rank, township) -> atom
        var tallies: [Atom] = []
        var cells = Set<Int64>()
        for b32 in buildings {
            let b = Int(b32), e = Int(c.buildingEntity[b])
            let g = u.places.group(of: b)
            let key = Int64(c.buildingCellRank[b]) << 20 | Int64(g)
            let a: Int
            if let known = atoms[key] { a = known } else {
                a = tallies.count
                atoms[key] = a
                tallies.append(Atom())
                u.township.append(Int32(g))
                u.cell.append(c.buildingCell[b])
                cells.insert(c.buildingCell[b])
            }
            for p in Int(c.entityPeopleStart[e])..<Int(c.entityPeopleStart[e + 1]) where c.personFrom[p] <= day && c.personTo[p] > day {
                let k = c.personKey[p]
                tallies[a].total.add(k)
                tallies[a].band[StatisticsColumns.ageBand(birthYear: c.personBirthYear[p], year: year)].add(k)
            }
        }
        u.cellCount = cells.count
        for (a, t) in tallies.enumerated() {
            let centre = DisclosureControl.centre(of: u.cell[a])
            u.x.append(centre.x); u.y.append(centre.y)
            let published = (0..<4).map { take[$0] ? keys.count(t.band[$0].n, t.band[$0].key) : 0 }
            u.bands.append(contentsOf: published.map { Int32($0) })
            // Everyone: the atom's published head count (as /stats publishes it); some bands: their sum.
            u.considered.append(Int32(asked == nil ? keys.count(t.total.n, t.total.key) : published.reduce(0, +)))
        }
        return u
    }

    private static func bandMask(_ asked: [Int]?) -> [Bool] {
        guard let asked else { return [true, true, true, true] }
        return (0..<4).map { asked.contains($0) }
    }
}

/// Which units lie within reach of which facilities. Units are bucketed in a ~1 km grid; each
/// facility visits the grid cells its radius meets: a cell wholly within reach is taken whole (its
/// units are not looked at), one wholly beyond is skipped, and only cells the circle cuts are
/// tested unit by unit. Capacity is shared out by the two-step floating catchment method (2SFCA):
/// a facility's ratio is its capacity over the residents within its reach; a unit's supply is the
/// sum of the ratios of the facilities within its reach; it is served up to 1.
struct CoverageReach {
    private let grid: CentroidGrid
    private var cellReached: [Bool], unitReached: [Bool]
    private var cellSupply: [Double] = [], unitSupply: [Double] = []
    private let cellOf: [Int32]
    private(set) var demand: [Double]

    init(units: CoverageUnits, facilities: [CoverageFacility], radius: Double, capacity: Bool) {
        self.init(x: units.x, y: units.y, residents: units.considered, facilities: facilities, radius: radius, capacity: capacity)
    }

    /// Units at (x, y) lon/lat with their residents counted.
    init(x: [Double], y: [Double], residents: [Int32], facilities: [CoverageFacility], radius: Double, capacity: Bool) {
        grid = CentroidGrid(x: x, y: y)
        let cells = grid.cellCount
        var cellOf = [Int32](repeating: -1, count: x.count)
        var cellPeople = [Double](repeating: 0, count: cells)
        for g in 0..<cells {
            for i in grid.buildings(inCell: g) {
                let u = Int(grid.cellBuildings[i])
                cellOf[u] = Int32(g)
                cellPeople[g] += Double(residents[u])
            }
        }
        self.cellOf = cellOf
        cellReached = [Bool](repeating: false, count: cells)
        unitReached = [Bool](repeating: false, count: x.count)
        demand = [Double](repeating: 0, count: facilities.count)
        // Pass 1: reach, and each facility's residents within reach.
        for (j, f) in facilities.enumerated() {
            var n = 0.0
            Self.visit(grid, x, y, f.position, radius,
                       whole: { g in cellReached[g] = true; n += cellPeople[g] },
                       unit: { u in unitReached[u] = true; n += Double(residents[u]) })
            demand[j] = n
        }
        guard capacity else { return }
        // Pass 2: each facility's places per resident within reach, added to every unit it reaches.
        cellSupply = [Double](repeating: 0, count: cells)
        unitSupply = [Double](repeating: 0, count: x.count)
        for (j, f) in facilities.enumerated() {
            guard let cap = f.capacity, cap > 0, demand[j] > 0 else { continue }
            let ratio = cap / demand[j]
            Self.visit(grid, x, y, f.position, radius, whole: { g in cellSupply[g] += ratio }, unit: { u in unitSupply[u] += ratio })
        }
    }

    @inline(__always)
    func reached(_ u: Int) -> Bool {
        let g = Int(cellOf[u])
        return unitReached[u] || (g >= 0 && cellReached[g])
    }

    /// Places per resident available to unit `u` (capacity asked).
    @inline(__always)
    func supply(_ u: Int) -> Double {
        let g = Int(cellOf[u])
        return unitSupply[u] + (g >= 0 ? cellSupply[g] : 0)
    }

    /// Calls `whole` for each grid cell wholly within `radius` of `p`, `unit` for each unit within
    /// reach in the cells the circle cuts. A margin of a metre keeps the shortcut on the safe side
    /// of the unit-by-unit test.
    private static func visit(_ grid: CentroidGrid, _ x: [Double], _ y: [Double], _ p: Position, _ radius: Double,
                              whole: (Int) -> Void, unit: (Int) -> Void) {
        let m = LocalDistance.metresPerDegree(latitude: p.y)
        let dx = radius / m.lon * 1.01 + 1e-6, dy = radius / m.lat * 1.01 + 1e-6
        let box = BBox(minX: p.x - dx, minY: p.y - dy, maxX: p.x + dx, maxY: p.y + dy)
        // The quick test uses the facility's latitude for the whole cell: off by under 0.5% at
        // 50 km, hence the margin; units in cells it cannot decide are measured exactly.
        let margin = 1 + radius * 0.005
        grid.cells(meeting: box) { g, rect in
            let range = grid.buildings(inCell: g)
            guard !range.isEmpty else { return }
            let (near, far) = LocalDistance.range(p.x, p.y, rect, scale: m)
            if near > radius + margin { return }
            if far < radius - margin { whole(g); return }
            for i in range {
                let u = Int(grid.cellBuildings[i])
                if LocalDistance.metres(p.x, p.y, x[u], y[u]) <= radius { unit(u) }
            }
        }
    }
}
