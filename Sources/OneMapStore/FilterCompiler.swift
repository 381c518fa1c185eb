import OneMapGeo

/// How a backend's SQL spells what a compiled filter needs.
package struct SQLDialect: Sendable {
    /// Parameter number n (1-based) in a statement: `?n` (SQLite), `$n` (PostgreSQL).
    package let placeholder: @Sendable (Int) -> String
    package let trueLiteral: String
    package let falseLiteral: String
    /// A geometry from a WKB parameter, EPSG:4490.
    package let geometryFromWKB: @Sendable (String) -> String
    /// The condition that `function` (ST_Intersects, ...) holds for two geometries.
    package let spatialTest: @Sendable (_ function: String, _ a: String, _ b: String) -> String

    package init(placeholder: @escaping @Sendable (Int) -> String, trueLiteral: String, falseLiteral: String,
                 geometryFromWKB: @escaping @Sendable (String) -> String,
                 spatialTest: @escaping @Sendable (String, String, String) -> String) {
        self.placeholder = placeholder; self.trueLiteral = trueLiteral; self.falseLiteral = falseLiteral
        self.geometryFromWKB = geometryFromWKB; self.spatialTest = spatialTest
    }
}

/// A spatial layer's SQL as a filter sees it.
package struct FilterColumns: Sendable {
    /// One expression per catalog field, in catalog order.
    package let columns: [String]
    package let geometry: String
    /// Rows whose box meets parameters 1...4 (min x, min y, max x, max y), through the index.
    package let spatial: String
    /// Table alias (for valid time), e.g. `b` in `buildings b`.
    package let alias: String

    package init(columns: [String], geometry: String, spatial: String, alias: String) {
        self.columns = columns; self.geometry = geometry; self.spatial = spatial; self.alias = alias
    }
}

/// Turns a filter into an SQL condition over one layer's columns; values go to `parameters`,
/// numbered from `firstParameter`. The same compiler for every backend (`SQLDialect` spells the
/// differences), so both refuse the same filters with the same words.
package struct FilterCompiler {
    let info: LayerInfo
    let sql: FilterColumns
    let dialect: SQLDialect
    let firstParameter: Int
    package private(set) var parameters: [SQLValue] = []
    var alias: String { sql.alias }

    /// Property names a filter may use (figures computed after the query are not columns).
    let allowed: Set<String>

    package init(info: LayerInfo, sql: FilterColumns, dialect: SQLDialect, firstParameter: Int, allowed: Set<String>) {
        self.info = info; self.sql = sql; self.dialect = dialect; self.firstParameter = firstParameter; self.allowed = allowed
    }

    private mutating func bind(_ v: SQLValue) -> String {
        parameters.append(v)
        return dialect.placeholder(firstParameter + parameters.count - 1)
    }

    private func column(_ name: String) throws -> (String, FieldInfo) {
        guard allowed.contains(name), let i = info.fields.firstIndex(where: { $0.name == name }) else {
            throw StoreError("filter: layer \(info.id) has no property '\(name)'; queryables: \(info.fields.map(\.name).filter(allowed.contains).joined(separator: ", ")), geometry, valid_time")
        }
        return (sql.columns[i], info.fields[i])
    }

    mutating func operand(_ o: FilterOperand) throws -> String {
        switch o {
        case .property(let name): return try column(name).0
        case .text(let s): return bind(.text(s))
        case .number(let d): return d == d.rounded() && abs(d) < 9e15 ? bind(.int(Int64(d))) : bind(.double(d))
        case .bool(let b): return bind(.int(b ? 1 : 0))
        case .day(let d): return bind(.text(d))
        case .validTime: throw StoreError("filter: valid_time can only be used in T_INTERSECTS")
        }
    }

    /// A property compared with a literal of another kind is refused, as `?prop=value` is: an
    /// integer with 'abc' would silently match nothing.
    private func checkKinds(_ operands: [FilterOperand]) throws {
        let properties = try operands.compactMap { o -> (String, FieldInfo)? in
            guard case .property(let name) = o else { return nil }
            return (name, try column(name).1)
        }
        for (name, field) in properties {
            for o in operands {
                let fits: Bool
                let shown: String
                switch o {
                case .property, .validTime: continue
                case .text(let t): fits = field.type == .string || (field.type == .date && ISODate.isValid(t)); shown = "'\(t)'"
                case .number(let d): fits = field.type == .integer || field.type == .number; shown = d == d.rounded() && abs(d) < 9e15 ? String(Int64(d)) : String(d)
                case .bool(let b): fits = field.type == .boolean; shown = String(b)
                case .day(let d): fits = field.type == .date || field.type == .string; shown = "DATE('\(d)')"
                }
                guard fits else {
                    throw StoreError("filter: property '\(name)' is \(field.type.article), and \(shown) is not; compare it with \(field.type.article)")
                }
            }
        }
    }

    package mutating func compile(_ e: FilterExpression) throws -> String {
        switch e {
        case .and(let parts): return "(" + (try parts.map { try compile($0) }).joined(separator: " AND ") + ")"
        case .or(let parts): return "(" + (try parts.map { try compile($0) }).joined(separator: " OR ") + ")"
        case .not(let inner): return "(NOT \(try compile(inner)))"
        case .literal(let b): return b ? dialect.trueLiteral : dialect.falseLiteral
        case .compare(let op, let a, let b):
            guard ["=", "<>", "<", "<=", ">", ">="].contains(op) else { throw StoreError("filter: unknown comparison '\(op)'") }
            try checkKinds([a, b])
            return "(\(try operand(a)) \(op) \(try operand(b)))"
        case .like(let a, let pattern): return "(\(try operand(a)) LIKE \(bind(.text(pattern))) ESCAPE '\\')"
        case .between(let a, let lo, let hi):
            try checkKinds([a, lo, hi])
            return "(\(try operand(a)) BETWEEN \(try operand(lo)) AND \(try operand(hi)))"
        case .inList(let a, let list):
            guard !list.isEmpty else { return dialect.falseLiteral }
            try checkKinds([a] + list)
            return "(\(try operand(a)) IN (\(try list.map { try operand($0) }.joined(separator: ", "))))"
        case .isNull(let a): return "(\(try operand(a)) IS NULL)"
        case .spatial(let predicate, let g):
            guard let box = g.bbox else { return predicate == .disjoint ? dialect.trueLiteral : dialect.falseLiteral }
            let blob = bind(.blob(WKB.encode(g)))
            let exact = dialect.spatialTest(predicate.sqlFunction, sql.geometry, dialect.geometryFromWKB(blob))
            if predicate == .disjoint { return "(\(exact))" }
            // The spatial index (or label box) first: only features whose box meets the literal's are
            // tested. `spatial` numbers the box 1...4: swapped for tokens first, so "?1" never meets "?12".
            var prefilter = sql.spatial
            for k in 1...4 { prefilter = prefilter.replacingOccurrences(of: dialect.placeholder(k), with: "\u{1}\(k)") }
            for (k, v) in [box.minX, box.minY, box.maxX, box.maxY].enumerated() {
                prefilter = prefilter.replacingOccurrences(of: "\u{1}\(k + 1)", with: bind(.double(v)))
            }
            return "(\(prefilter) AND \(exact))"
        case .temporalIntersects(let a, let start, let end):
            if a == .validTime {
                // Valid in [valid_from, valid_to) meets [start, end].
                let from = "\(alias).valid_from", to = "\(alias).valid_to"
                var parts: [String] = []
                if let end { parts.append("(\(from) IS NULL OR \(from) <= \(bind(.text(end))))") }
                if let start { parts.append("(\(to) IS NULL OR \(to) > \(bind(.text(start))))") }
                return parts.isEmpty ? dialect.trueLiteral : "(" + parts.joined(separator: " AND ") + ")"
            }
            guard case .property(let name) = a else { throw StoreError("filter: T_INTERSECTS needs a date property or valid_time") }
            let (col, field) = try column(name)
            guard field.type == .date else { throw StoreError("filter: property '\(name)' is not a date") }
            var parts = ["\(col) IS NOT NULL"]
            if let start { parts.append("\(col) >= \(bind(.text(start)))") }
            if let end { parts.append("\(col) <= \(bind(.text(end)))") }
            return "(" + parts.joined(separator: " AND ") + ")"
        }
    }
}

extension SpatialPredicate {
    /// The SQL function that tests it (SpatiaLite spells them as PostGIS does).
    package var sqlFunction: String {
        switch self {
        case .intersects: "ST_Intersects"
        case .within: "ST_Within"
        case .contains: "ST_Contains"
        case .disjoint: "ST_Disjoint"
        }
    }
}
