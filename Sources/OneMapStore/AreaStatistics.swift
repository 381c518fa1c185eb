import OneMapGeo

/// What `/stats` counts in: an administrative area (by code, its boundary on the day asked) or a
/// geometry in EPSG:4490 lon/lat (polygons; the caller turns circles and buffers into one).
public enum StatisticsArea: Sendable, Hashable {
    case code(String)
    case geometry(Geometry)
}

/// A breakdown of the figures. Area levels group by the area of that level the building's
/// centroid lies in; the others by an attribute of the person, business or building.
public enum StatisticsDimension: String, Sendable, CaseIterable, Codable {
    case county, township, village, grid, sex, ageBand, registration, industry, use

    public var isAreaLevel: Bool { [.county, .township, .village, .grid].contains(self) }
    /// Which record kinds the dimension applies to.
    public var appliesToPeople: Bool { self != .industry }
    public var appliesToBusinesses: Bool { isAreaLevel || self == .industry || self == .use }
    public var appliesToBuildings: Bool { isAreaLevel || self == .use }

    /// Age bands of China's census tables (0-14, 15-59, 60+), with 65+ apart.
    public static let ageBands = ["0-14", "15-59", "60-64", "65+"]
}

/// Exact figures for an area on a day. A person, business or building counts in the area when
/// its building's footprint centroid lies in it. Suppression of small cells is the caller's.
public struct AreaStatistics: Sendable, Equatable {
    public var day: String
    /// The area's name when given by code.
    public var name: String?
    public var people = 0, households = 0
    public var bySex: [String: Int] = [:], byAgeBand: [String: Int] = [:], byRegistration: [String: Int] = [:]
    public var businesses = 0, employees = 0
    public var byIndustry: [String: Int] = [:]
    public var buildings = 0
    /// Footprint area times floors, square metres.
    public var floorArea = 0.0
    public var buildingsByUse: [String: Int] = [:]
    /// Rows per requested breakdown (only dimensions that apply to each kind of record).
    public var peopleGroups: [StatisticsGroup] = []
    public var businessGroups: [StatisticsGroup] = []
    public var buildingGroups: [StatisticsGroup] = []
    /// Set on an answer with protected figures (disclosure control): the statistical grid cells it
    /// spans. Each protected figure is within 2 per cell of the exact one.
    public var protectedCells: Int?

    public init(day: String) { self.day = day }
}

public struct StatisticsGroup: Sendable, Equatable {
    /// Dimension name -> value (an area code, `M`, `15-59`, ...).
    public var keys: [String: String]
    /// People, businesses or buildings in the cell.
    public var count: Int
    /// Households (people), employees (businesses), floor area in m² (buildings).
    public var measure: Double

    public init(keys: [String: String], count: Int, measure: Double) { self.keys = keys; self.count = count; self.measure = measure }
}

extension StatisticsDimension {
    /// The SQL a backend groups by for this dimension, over the selection `s` (area levels, use),
    /// people `p` (sex, registration, age band in `year`) and businesses `b` (industry). The same
    /// in every backend.
    package func groupingSQL(year: Int) -> String {
        switch self {
        case .county, .township, .village, .grid: "s.\(rawValue)"
        case .use: "s.use"
        case .sex: "p.sex"
        case .registration: "p.registration"
        case .industry: "b.industry"
        case .ageBand:
            "CASE WHEN \(year) - p.birth_year < 15 THEN '0-14' WHEN \(year) - p.birth_year < 60 THEN '15-59' WHEN \(year) - p.birth_year < 65 THEN '60-64' ELSE '65+' END"
        }
    }
}
