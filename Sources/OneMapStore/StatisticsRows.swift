import OneMapGeo

/// The bytes of a text column handed to a `StatisticsRowSink`: valid only during the call that
/// receives them (a store passes its driver's buffer; 2.5 million residents' household ids as
/// Swift Strings would cost seconds). Nil for SQL NULL.
public typealias BorrowedText = UnsafeRawBufferPointer

/// An administrative area version.
public struct StatisticsAreaRow: Sendable {
    public let id: Int64
    public let code: String
    public let name: String
    public let level: AdminLevel
    public let validFrom: String?
    public let validTo: String?

    public init(id: Int64, code: String, name: String, level: AdminLevel, validFrom: String?, validTo: String?) {
        self.id = id; self.code = code; self.name = name; self.level = level; self.validFrom = validFrom; self.validTo = validTo
    }
}

/// A building version: its footprint centroid (the centroid rule's point), use, and floor area as
/// the store defines it (`floorAreaMilli`: square metres times 1000, rounded, so that sums are
/// exact integers whatever order they are taken in).
public struct StatisticsBuildingRow {
    public let id: Int64
    public let entityCode: BorrowedText
    public let cx: Double, cy: Double
    public let use: BorrowedText?
    public let floorAreaMilli: Int64
    public let validFrom: BorrowedText?, validTo: BorrowedText?

    public init(id: Int64, entityCode: BorrowedText, cx: Double, cy: Double, use: BorrowedText?, floorAreaMilli: Int64,
                validFrom: BorrowedText?, validTo: BorrowedText?) {
        self.id = id; self.entityCode = entityCode; self.cx = cx; self.cy = cy; self.use = use
        self.floorAreaMilli = floorAreaMilli; self.validFrom = validFrom; self.validTo = validTo
    }
}

/// A person version, placed in a building entity by its code. `id` identifies the version (its
/// disclosure-control record key derives from it).
public struct StatisticsPersonRow {
    public let id: Int64
    public let buildingCode: BorrowedText
    public let household: BorrowedText?
    public let sex: BorrowedText?
    public let birthYear: Int64?
    public let registration: BorrowedText?
    public let validFrom: BorrowedText?, validTo: BorrowedText?

    public init(id: Int64, buildingCode: BorrowedText, household: BorrowedText?, sex: BorrowedText?, birthYear: Int64?,
                registration: BorrowedText?, validFrom: BorrowedText?, validTo: BorrowedText?) {
        self.id = id; self.buildingCode = buildingCode; self.household = household; self.sex = sex; self.birthYear = birthYear
        self.registration = registration; self.validFrom = validFrom; self.validTo = validTo
    }
}

/// A business version, placed in a building entity by its code.
public struct StatisticsBusinessRow {
    public let id: Int64
    public let buildingCode: BorrowedText
    public let industry: BorrowedText?
    public let employees: Int64
    public let validFrom: BorrowedText?, validTo: BorrowedText?

    public init(id: Int64, buildingCode: BorrowedText, industry: BorrowedText?, employees: Int64, validFrom: BorrowedText?, validTo: BorrowedText?) {
        self.id = id; self.buildingCode = buildingCode; self.industry = industry; self.employees = employees
        self.validFrom = validFrom; self.validTo = validTo
    }
}

/// Receives every row an in-memory statistics engine keeps, from `FeatureStore.scanStatisticsRows`,
/// in this order: areas, buildings, memberships (the centroid rule's building-in-area-version
/// pairs), people, businesses.
public protocol StatisticsRowSink {
    mutating func area(_ row: StatisticsAreaRow) throws
    mutating func building(_ row: StatisticsBuildingRow) throws
    mutating func membership(areaID: Int64, buildingID: Int64) throws
    mutating func person(_ row: StatisticsPersonRow) throws
    mutating func business(_ row: StatisticsBusinessRow) throws
}

/// What a full scan (`FeatureStore.scanStatisticsRows`) read: the newest change extent and the
/// newest row change of its snapshot.
public struct StatisticsScan: Sendable, Equatable {
    public let changeSeq: Int64
    public let rowSeq: Int64
    public init(changeSeq: Int64, rowSeq: Int64) { self.changeSeq = changeSeq; self.rowSeq = rowSeq }
}

/// The person and business rows changed after a row change (`FeatureStore.scanStatisticsChanges`).
public struct StatisticsChangeScan: Sendable {
    public let changeSeq: Int64
    public let rowSeq: Int64
    /// False when the changes cannot be applied row by row: a bulk load, the log no longer reaches
    /// back that far, or more rows changed than asked for.
    public let applicable: Bool
    /// Whether buildings or areas changed: the sink then received every area, building and
    /// membership first (the snapshot's), before the changed records.
    public let structure: Bool
    /// Every changed id, and those asked to be read again (the sink received the rows of those
    /// still in the store).
    public let people: [Int64]
    public let businesses: [Int64]

    public init(changeSeq: Int64, rowSeq: Int64, applicable: Bool, structure: Bool, people: [Int64], businesses: [Int64]) {
        self.changeSeq = changeSeq; self.rowSeq = rowSeq; self.applicable = applicable; self.structure = structure
        self.people = people; self.businesses = businesses
    }
}

/// Anything that answers area statistics: the store (SQL, the oracle) or an in-memory engine.
public protocol AreaStatisticsProvider: Sendable {
    /// Population, businesses and buildings in an area on a day (exact; nil for an unknown area
    /// code), broken down by `groupBy`. The centroid rule decides what lies in the area.
    func areaStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension]) throws -> AreaStatistics?

    /// The totals of area `code` on each of `days` (a time series; nil where the area did not
    /// exist), equal to `areaStatistics` asked day by day (`totalsDayByDay`).
    func areaTotals(code: String, on days: [String]) throws -> [AreaTotals?]
}

/// An area's headline figures on one day (a step of a time series): no breakdowns.
public struct AreaTotals: Sendable, Equatable {
    public var day: String
    public var name: String?
    public var people = 0, households = 0
    public var businesses = 0, employees = 0
    public var buildings = 0
    /// Footprint area times floors, square metres.
    public var floorArea = 0.0

    public init(day: String, name: String?) { self.day = day; self.name = name }

    public init(_ s: AreaStatistics) {
        day = s.day; name = s.name; people = s.people; households = s.households
        businesses = s.businesses; employees = s.employees; buildings = s.buildings; floorArea = s.floorArea
    }
}

extension AreaStatisticsProvider {
    /// The totals of area `code` on each of `days` (nil where it did not exist), one day at a time.
    /// An engine that can do all days in one pass answers `areaTotals` itself.
    public func totalsDayByDay(code: String, on days: [String]) throws -> [AreaTotals?] {
        try days.map { try areaStatistics(.code(code), on: $0, groupBy: []).map(AreaTotals.init) }
    }
}

/// Protected figures (disclosure control) cannot be computed right now: the statistics engine that
/// computes them is being built. Retry after `retryAfterSeconds`.
public struct StatisticsUnavailable: Error, CustomStringConvertible {
    public let message: String
    public let retryAfterSeconds: Int
    public init(_ message: String, retryAfterSeconds: Int = 5) { self.message = message; self.retryAfterSeconds = retryAfterSeconds }
    public var description: String { message }
}

/// Answers area statistics as a caller may see them: exact kinds exactly, protected kinds
/// (`FigureAccess.suppressed`) through disclosure control.
public protocol PublishedStatisticsProvider: AreaStatisticsProvider {
    /// The figures as `disclosure` publishes them; nil for an unknown area code.
    func publishedStatistics(_ area: StatisticsArea, on day: String, groupBy: [StatisticsDimension],
                             disclosure: StatisticsDisclosure) throws -> AreaStatistics?

    /// The totals of area `code` on each of `days` as `disclosure` publishes them.
    func publishedTotals(code: String, on days: [String], disclosure: StatisticsDisclosure) throws -> [AreaTotals?]

    /// Whether questions are answered from memory now (a whole city in tens of milliseconds) rather
    /// than by SQL (seconds): the server then keeps them out of its lane for long work.
    var answersFromMemory: Bool { get }

    /// Waits, without holding a thread, until figures published under `disclosure` can be computed
    /// at once (protected figures need the in-memory engine, which may be being rebuilt).
    func ready(for disclosure: StatisticsDisclosure) async throws
}

/// The tables whose row changes the statistics engine follows, the tag a change is logged under
/// (`*`: a building or area changed, read them again) and the columns whose update counts (empty:
/// any), the same in every backend's triggers. Stored counts are left out: every record import
/// refreshes them.
package enum StatisticsRowLog {
    package static let watched: [(table: String, tag: String, columns: [String])] = [
        ("population", "population", []), ("businesses", "businesses", []),
        ("buildings", "*", ["entity_code", "valid_from", "valid_to", "floors", "use", "cx", "cy", "geom"]),
        ("admin_areas", "*", ["code", "name", "level", "valid_from", "valid_to", "geom"]),
    ]
}
