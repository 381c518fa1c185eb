import OneMapGeo

/// What one caller may see of a layer: which fields, which of them masked, and where. The access
/// policy makes it; tiles, features, exports and caches use it (a cache keyed without it would
/// hand one caller's view to another).
public struct LayerView: Sendable {
    public let layer: LayerInfo
    /// Indices into `layer.fields` of the fields shown, in the layer's order.
    public let visible: [Int]
    /// Indices (among `visible`) shown masked (`180****0689`).
    public let masked: Set<Int>
    /// Features outside this area (EPSG:4490) are not shown; nil: anywhere.
    public let area: Geometry?
    /// Names the area in cache keys and audit records (e.g. `grant:12`).
    public let areaKey: String?

    /// Identifies the view for caches: same key, same bytes for the same request.
    public let cacheKey: String

    public init(layer: LayerInfo, visible: [Int], masked: Set<Int> = [], area: Geometry? = nil, areaKey: String? = nil) {
        self.layer = layer; self.visible = visible; self.masked = masked; self.area = area; self.areaKey = areaKey
        cacheKey = "\(layer.id)|f=\(visible.map(String.init).joined(separator: ","))|m=\(masked.sorted().map(String.init).joined(separator: ","))|a=\(areaKey ?? "")"
    }

    /// Everything, unmasked, everywhere (the owner's and the administrator's view).
    public static func full(_ layer: LayerInfo) -> LayerView {
        LayerView(layer: layer, visible: Array(layer.fields.indices))
    }

    /// The fields shown.
    public var fields: [FieldInfo] { visible.map { layer.fields[$0] } }

    /// The layer as far as a filter, a sort or a property selection may use it: shown, unmasked
    /// fields only (a filter on a masked field would reveal it a character at a time).
    public var queryable: LayerInfo { layer.with(fields: visible.filter { !masked.contains($0) }.map { layer.fields[$0] }) }

    /// The condition every query through this view carries (nil: none).
    public var restriction: FilterExpression? { area.map { .spatial(.intersects, $0) } }


    /// The value as this view shows it.
    public func shown(_ index: Int, _ value: FieldValue) -> FieldValue {
        masked.contains(index) ? FieldMask.masked(value) : value
    }
}

/// The masking pattern for personal fields.
public enum FieldMask {
    /// `180****0689`: the first 3 and last 4 characters of 8 or more kept, anything shorter hidden.
    public static func masked(_ v: FieldValue) -> FieldValue {
        guard case .string(let s) = v else { return v == .null ? .null : .string("****") }
        let c = Array(s)
        guard c.count >= 8 else { return .string(String(repeating: "*", count: max(c.count, 4))) }
        return .string(String(c.prefix(3)) + String(repeating: "*", count: c.count - 7) + String(c.suffix(4)))
    }
}

/// The figures of people in area statistics (each may be published differently: a grant's fields).
public enum PeopleFigure: String, Sendable, CaseIterable {
    case total, households, bySex, byAgeBand, byRegistration
}

/// How far a caller may see a figure of `/stats` and reports.
public enum FigureAccess: String, Sendable {
    /// Exact counts.
    case exact
    /// Counts of 1 to k-1 shown as "<k".
    case suppressed
    /// Not shown at all (a layer not shared with the caller).
    case withheld
}

/// Access to each group of figures in area statistics: people (population), businesses, buildings.
public struct StatisticsDisclosure: Sendable, Equatable {
    public var people: FigureAccess
    public var businesses: FigureAccess
    public var buildings: FigureAccess
    /// When people are exact by a grant: the record fields it names, which bound the breakdowns it
    /// makes exact (nil: all, for the owner and the administrator).
    public var peopleFields: Set<String>?

    public init(people: FigureAccess, businesses: FigureAccess, buildings: FigureAccess, peopleFields: Set<String>? = nil) {
        self.people = people; self.businesses = businesses; self.buildings = buildings; self.peopleFields = peopleFields
    }

    /// The record field a figure of people counts by (nil: none, a head count).
    public static func field(of figure: PeopleFigure) -> String? {
        switch figure {
        case .total: nil
        case .households: "household_id"
        case .bySex: "sex"
        case .byAgeBand: "birth_year"
        case .byRegistration: "registration"
        }
    }

    /// How one figure of people is published: exact only when the grant names the field it counts by.
    public func access(_ figure: PeopleFigure) -> FigureAccess {
        guard people == .exact, let fields = peopleFields, let needed = Self.field(of: figure) else { return people }
        return fields.contains(needed) ? .exact : .suppressed
    }

    /// How the people groups of `groupBy` are published: exact when every dimension of a person
    /// they break down by, and households (which every group carries), are granted.
    public func groupAccess(_ groupBy: [StatisticsDimension]) -> FigureAccess {
        var needed: [PeopleFigure] = [.households]
        if groupBy.contains(.sex) { needed.append(.bySex) }
        if groupBy.contains(.ageBand) { needed.append(.byAgeBand) }
        if groupBy.contains(.registration) { needed.append(.byRegistration) }
        return needed.contains { access($0) != .exact } ? (people == .withheld ? .withheld : .suppressed) : people
    }

    /// Whether some figure of people is protected although people are exact (a grant's fields).
    public var isMixed: Bool { people == .exact && PeopleFigure.allCases.contains { access($0) != .exact } }

    public static let exact = StatisticsDisclosure(people: .exact, businesses: .exact, buildings: .exact)
    /// Before any entitlement: small cells of people hidden, the rest exact.
    public static let standard = StatisticsDisclosure(people: .suppressed, businesses: .exact, buildings: .exact)
}
