import OneMapGeo

/// A feature filter (what CQL2 text parses into), compiled by the store into SQL with every
/// literal bound as a parameter, never pasted into the statement.
public indirect enum FilterExpression: Sendable, Equatable {
    case and([FilterExpression])
    case or([FilterExpression])
    case not(FilterExpression)
    /// `=`, `<>`, `<`, `<=`, `>`, `>=`
    case compare(String, FilterOperand, FilterOperand)
    /// SQL-style pattern with `%` and `_`.
    case like(FilterOperand, String)
    case between(FilterOperand, FilterOperand, FilterOperand)
    case inList(FilterOperand, [FilterOperand])
    case isNull(FilterOperand)
    /// S_INTERSECTS, S_WITHIN, S_CONTAINS, S_DISJOINT of the feature geometry and a geometry
    /// (EPSG:4490 lon/lat).
    case spatial(SpatialPredicate, Geometry)
    /// A date property (or the feature's valid time) meets [start, end] (nil = open).
    case temporalIntersects(FilterOperand, start: String?, end: String?)
    case literal(Bool)
}

extension FilterExpression {
    /// Every property the filter reads.
    public var propertyNames: Set<String> {
        func names(_ o: FilterOperand) -> Set<String> { if case .property(let p) = o { [p] } else { [] } }
        switch self {
        case .and(let parts), .or(let parts): return parts.reduce(into: Set<String>()) { $0.formUnion($1.propertyNames) }
        case .not(let e): return e.propertyNames
        case .compare(_, let a, let b): return names(a).union(names(b))
        case .like(let a, _), .isNull(let a): return names(a)
        case .between(let a, let b, let c): return names(a).union(names(b)).union(names(c))
        case .inList(let a, let list): return list.reduce(names(a)) { $0.union(names($1)) }
        case .temporalIntersects(let a, _, _): return names(a)
        case .spatial, .literal: return []
        }
    }
}

public enum SpatialPredicate: String, Sendable, Equatable {
    case intersects = "S_INTERSECTS", within = "S_WITHIN", contains = "S_CONTAINS", disjoint = "S_DISJOINT"
}

public enum FilterOperand: Sendable, Equatable {
    case property(String)
    case text(String)
    case number(Double)
    case bool(Bool)
    /// A `YYYY-MM-DD` day (DATE or TIMESTAMP literals, as calendar days in UTC+8).
    case day(String)
    /// The feature's valid time (`valid_time` in CQL2 filters), for temporal predicates.
    case validTime
}
