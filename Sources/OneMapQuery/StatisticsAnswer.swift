import Foundation
import OneMapStore

/// A sum (employees, floor area) as the caller may see it: shown beside at least k records when
/// protected (else one record's size would show), null when withheld or hidden. Households of a
/// group are a count shown as a measure (`init(_:)` from a `PublishedCount`).
public enum PublishedMeasure: Sendable, Equatable, Encodable {
    case integer(Int)
    case decimal(Double)
    case below(Int)
    case hidden

    public init(sum v: Double, count: Int, _ access: FigureAccess, floorArea: Bool, k: Int = StatisticsDocument.defaultK) {
        switch access {
        case .withheld: self = .hidden
        case .suppressed where count < k: self = .hidden
        case .exact, .suppressed: self = floorArea ? .decimal((v * 10).rounded() / 10) : .integer(Int(v.rounded()))
        }
    }

    public init(_ c: PublishedCount) {
        switch c {
        case .count(let n): self = .integer(n)
        case .below(let k): self = .below(k)
        case .withheld: self = .hidden
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .integer(let n): try c.encode(n)
        case .decimal(let d): try c.encode(d)
        case .below(let k): try c.encode("<\(k)")
        case .hidden: try c.encodeNil()
        }
    }
}

/// A member encoded as null when absent: the key stays in the document (clients test for null).
public struct OrNull<T: Encodable & Sendable>: Encodable, Sendable {
    public let value: T?
    public init(_ value: T?) { self.value = value }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        if let value { try c.encode(value) } else { try c.encodeNil() }
    }
}

/// A coding key from a text (groups are keyed by their dimensions' names).
struct NamedKey: CodingKey {
    let stringValue: String
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    var intValue: Int? { nil }
    init?(intValue: Int) { nil }
}

/// The answer of `/stats`, typed: every count and sum is a `PublishedCount` or `PublishedMeasure`
/// made by `StatisticsDocument.make` under the caller's disclosure, so tables, exports, reports and
/// `/areas` read the same values by name, never by string paths.
public struct StatisticsAnswer: Encodable, Sendable {
    public struct Area: Encodable, Sendable {
        public var code: String?
        public var name: String?
        /// True for a drawn area.
        public var geometry: Bool?
        public var repaired: String?
        public var statisticalGridCells: Int?
    }

    /// Counts by category; nil: withheld (null).
    public typealias Breakdown = OrNull<[String: PublishedCount]>

    public struct Population: Encodable, Sendable {
        public let total: PublishedCount
        public let households: PublishedCount
        public let bySex: Breakdown
        public let byAgeBand: Breakdown
        public let byRegistration: Breakdown
    }

    public struct Businesses: Encodable, Sendable {
        public let count: PublishedCount
        public let employees: PublishedMeasure
        public let byIndustry: Breakdown
    }

    public struct Buildings: Encodable, Sendable {
        public let count: PublishedCount
        public let floorArea: PublishedMeasure
        public let byUse: Breakdown
    }

    /// One group of a breakdown: its dimension values, its count and its measure, under the
    /// names of their kind (people and households, businesses and employees, buildings and floorArea).
    public struct GroupRow: Encodable, Sendable {
        public let keys: [String: String]
        public let count: PublishedCount
        public let measure: PublishedMeasure
        public let countName: String
        public let measureName: String

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: NamedKey.self)
            for (k, v) in keys { try c.encode(v, forKey: NamedKey(k)) }
            try c.encode(count, forKey: NamedKey(countName))
            try c.encode(measure, forKey: NamedKey(measureName))
        }
    }

    public struct Groups: Encodable, Sendable {
        public let population: [GroupRow]
        public let businesses: [GroupRow]
        public let buildings: [GroupRow]

        /// The rows of a kind by its name.
        public func rows(_ kind: String) -> [GroupRow] {
            switch kind {
            case "population": population
            case "businesses": businesses
            default: buildings
            }
        }
    }

    public var area: Area
    public let datetime: String
    public let rule: String
    public let suppression: [String: String]
    public let population: Population
    public let businesses: Businesses
    public let buildings: Buildings
    /// Present only with a breakdown.
    public let groupBy: [String]?
    public let groups: Groups?

    /// The document as JSONSerialization's objects (for documents still built as dictionaries).
    public func jsonObject() throws -> Any {
        try JSONSerialization.jsonObject(with: try StatisticsAnswer.encoder.encode(self))
    }

    /// Keys sorted, slashes as they are: the API's JSON.
    public static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

/// The answer of `/stats/timeseries`: an area's totals on each step's first day.
public struct TimeseriesAnswer: Encodable, Sendable {
    public struct AreaName: Encodable, Sendable {
        public let code: String
        public let name: String
        public init(code: String, name: String) { self.code = code; self.name = name }
    }

    /// One step: its figures when the area existed that day.
    public struct Point: Encodable, Sendable {
        public let datetime: String
        public let exists: Bool
        public let population: PublishedCount?
        public let households: PublishedCount?
        public let businesses: PublishedCount?
        public let employees: PublishedMeasure?
        public let buildings: PublishedCount?
        public let floorArea: PublishedMeasure?

        /// A day the area did not exist.
        public init(missing day: String) {
            datetime = day; exists = false
            population = nil; households = nil; businesses = nil; employees = nil; buildings = nil; floorArea = nil
        }

        /// A day's totals under `d`.
        public init(_ t: AreaTotals, day: String, disclosure d: StatisticsDisclosure) {
            datetime = day; exists = true
            population = PublishedCount(t.people, d.people)
            households = PublishedCount(t.households, d.access(.households))
            businesses = PublishedCount(t.businesses, d.businesses)
            employees = PublishedMeasure(sum: Double(t.employees), count: t.businesses, d.businesses, floorArea: false)
            buildings = PublishedCount(t.buildings, d.buildings)
            floorArea = PublishedMeasure(sum: t.floorArea, count: t.buildings, d.buildings, floorArea: true)
        }

        /// The figures in the order of `figureNames`, nil where the area did not exist.
        public var figures: [PublishedMeasure?] {
            [population.map(PublishedMeasure.init), households.map(PublishedMeasure.init), businesses.map(PublishedMeasure.init),
             employees, buildings.map(PublishedMeasure.init), floorArea]
        }

        public static let figureNames = ["population", "households", "businesses", "employees", "buildings", "floorArea"]
    }

    public let area: AreaName
    public let step: String
    public let series: [Point]
    public let suppression: [String: String]
    public let rule: String

    public init(area: AreaName, step: String, series: [Point], suppression: [String: String], rule: String) {
        self.area = area; self.step = step; self.series = series; self.suppression = suppression; self.rule = rule
    }
}
