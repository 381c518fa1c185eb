import Foundation
import OneMapGeo
import OneMapStore

/// CQL2 text (OGC 21-065) as OneMap filters: Basic CQL2 (comparisons, AND/OR/NOT, LIKE, BETWEEN,
/// IN, IS NULL, dates), S_INTERSECTS / S_WITHIN / S_CONTAINS / S_DISJOINT with WKT or BBOX
/// literals, and T_INTERSECTS with DATE, TIMESTAMP and INTERVAL literals. Geometry literals are in
/// `crs` (CRS84 by default) and arrive in EPSG:4490 lon/lat. Errors name the position.
public struct CQL2Text {
    enum Token: Equatable {
        case word(String)          // identifiers and keywords
        case quoted(String)        // "property name"
        case string(String)
        case number(Double)
        case symbol(String)
    }

    let source: [Character]
    var tokens: [(Token, Int)] = []
    var k = 0
    let crs: APICRS
    /// Parentheses and NOTs open: bounded, so a hostile filter cannot exhaust the stack.
    var depth = 0

    public static let maxLength = 65_536
    public static let maxDepth = 64

    public static func parse(_ text: String, crs: APICRS = .crs84) throws(QueryError) -> FilterExpression {
        guard text.utf8.count <= maxLength else { throw QueryError("filter is longer than \(maxLength) bytes") }
        var p = CQL2Text(source: Array(text), crs: crs)
        try p.tokenize()
        guard !p.tokens.isEmpty else { throw QueryError("filter is empty") }
        let e = try p.orExpression()
        guard p.k == p.tokens.count else { throw p.error("unexpected \(p.describe(p.tokens[p.k].0))") }
        return e
    }

    func error(_ what: String) -> QueryError {
        let at = k < tokens.count ? tokens[k].1 : source.count
        return QueryError("filter: \(what) at character \(at + 1)")
    }

    func describe(_ t: Token) -> String {
        switch t {
        case .word(let w): "'\(w)'"
        case .quoted(let q): "\"\(q)\""
        case .string(let s): "'\(s)'"
        case .number(let n): "\(n)"
        case .symbol(let s): "'\(s)'"
        }
    }

    // MARK: tokens

    mutating func tokenize() throws(QueryError) {
        var i = 0
        func fail(_ m: String) -> QueryError { QueryError("filter: \(m) at character \(i + 1)") }
        while i < source.count {
            let c = source[i]
            if c.isWhitespace { i += 1; continue }
            let start = i
            if c == "'" {
                var s = ""
                i += 1
                while true {
                    guard i < source.count else { throw fail("unterminated string") }
                    if source[i] == "'" {
                        if i + 1 < source.count, source[i + 1] == "'" { s.append("'"); i += 2; continue }
                        i += 1; break
                    }
                    s.append(source[i]); i += 1
                }
                tokens.append((.string(s), start))
            } else if c == "\"" {
                var s = ""
                i += 1
                while i < source.count, source[i] != "\"" { s.append(source[i]); i += 1 }
                guard i < source.count else { throw fail("unterminated quoted name") }
                i += 1
                tokens.append((.quoted(s), start))
            } else if c.isNumber || (c == "-" || c == "+" || c == ".") && i + 1 < source.count && (source[i + 1].isNumber || source[i + 1] == ".") && numberMayStart {
                var s = String(c)
                i += 1
                while i < source.count, source[i].isNumber || ".eE".contains(source[i]) || ("+-".contains(source[i]) && "eE".contains(source[i - 1])) {
                    s.append(source[i]); i += 1
                }
                guard let d = Double(s), d.isFinite else { throw fail("'\(s)' is not a number") }
                tokens.append((.number(d), start))
            } else if c.isLetter || c == "_" {
                var s = ""
                while i < source.count, source[i].isLetter || source[i].isNumber || "_:.".contains(source[i]) { s.append(source[i]); i += 1 }
                tokens.append((.word(s), start))
            } else if "<>".contains(c) {
                if i + 1 < source.count, source[i + 1] == "=" || (c == "<" && source[i + 1] == ">") {
                    tokens.append((.symbol(String([c, source[i + 1]])), start)); i += 2
                } else { tokens.append((.symbol(String(c)), start)); i += 1 }
            } else if "=(),".contains(c) {
                tokens.append((.symbol(String(c)), start)); i += 1
            } else {
                throw fail("unexpected '\(c)'")
            }
        }
    }

    /// A sign starts a number only where an operand may start (not after an operand).
    var numberMayStart: Bool {
        guard let last = tokens.last?.0 else { return true }
        if case .symbol(let s) = last { return s != ")" }
        if case .word(let w) = last { return ["AND", "OR", "NOT", "BETWEEN", "IN", "LIKE"].contains(w.uppercased()) }
        return false
    }

    // MARK: grammar

    var current: Token? { k < tokens.count ? tokens[k].0 : nil }

    func isWord(_ w: String) -> Bool { if case .word(let x)? = current { x.uppercased() == w } else { false } }
    func isSymbol(_ s: String) -> Bool { current == .symbol(s) }

    mutating func expect(_ s: String) throws(QueryError) {
        guard isSymbol(s) else { throw error("expected '\(s)'\(current.map { ", found \(describe($0))" } ?? " at the end")") }
        k += 1
    }

    mutating func orExpression() throws(QueryError) -> FilterExpression {
        var parts = [try andExpression()]
        while isWord("OR") { k += 1; parts.append(try andExpression()) }
        return parts.count == 1 ? parts[0] : .or(parts)
    }

    mutating func andExpression() throws(QueryError) -> FilterExpression {
        var parts = [try notExpression()]
        while isWord("AND") { k += 1; parts.append(try notExpression()) }
        return parts.count == 1 ? parts[0] : .and(parts)
    }

    mutating func notExpression() throws(QueryError) -> FilterExpression {
        if isWord("NOT") {
            k += 1
            try deeper()
            defer { depth -= 1 }
            return .not(try notExpression())
        }
        return try primary()
    }

    mutating func deeper() throws(QueryError) {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("the filter nests deeper than \(Self.maxDepth) levels") }
    }

    static let spatial: [String: SpatialPredicate] = ["S_INTERSECTS": .intersects, "S_WITHIN": .within, "S_CONTAINS": .contains, "S_DISJOINT": .disjoint]

    mutating func primary() throws(QueryError) -> FilterExpression {
        if isSymbol("(") {
            k += 1
            try deeper()
            defer { depth -= 1 }
            let e = try orExpression()
            try expect(")")
            return e
        }
        if case .word(let w)? = current {
            let upper = w.uppercased()
            if let predicate = Self.spatial[upper] { k += 1; return try spatialPredicate(predicate, name: upper) }
            if upper == "T_INTERSECTS" { k += 1; return try temporalIntersects() }
            if upper.hasPrefix("S_") || upper.hasPrefix("T_") || upper.hasPrefix("A_") {
                throw error("\(upper) is not supported; spatial: \(Self.spatial.keys.sorted().joined(separator: ", ")); temporal: T_INTERSECTS")
            }
        }
        let left = try scalar()
        var negated = false
        if isWord("NOT") { k += 1; negated = true }
        let e: FilterExpression
        if isWord("LIKE") {
            k += 1
            guard case .string(let pattern)? = current else { throw error("LIKE needs a 'pattern'") }
            k += 1
            e = .like(left, pattern)
        } else if isWord("BETWEEN") {
            k += 1
            let lo = try scalar()
            guard isWord("AND") else { throw error("BETWEEN needs AND") }
            k += 1
            e = .between(left, lo, try scalar())
        } else if isWord("IN") {
            k += 1
            try expect("(")
            var list = [try scalar()]
            while isSymbol(",") { k += 1; list.append(try scalar()) }
            try expect(")")
            e = .inList(left, list)
        } else if isWord("IS") {
            guard !negated else { throw error("NOT goes after IS") }
            k += 1
            if isWord("NOT") { k += 1; negated = true }
            guard isWord("NULL") else { throw error("expected NULL") }
            k += 1
            e = .isNull(left)
        } else if !negated, case .symbol(let op)? = current, ["=", "<>", "<", "<=", ">", ">="].contains(op) {
            k += 1
            return .compare(op, left, try scalar())
        } else {
            if !negated, case .bool(let b) = left { return .literal(b) }
            throw error("expected a comparison, LIKE, BETWEEN, IN or IS NULL\(current.map { ", found \(describe($0))" } ?? " at the end")")
        }
        return negated ? .not(e) : e
    }

    mutating func scalar() throws(QueryError) -> FilterOperand {
        guard let t = current else { throw error("expected a value or property at the end") }
        k += 1
        switch t {
        case .string(let s): return .text(s)
        case .number(let n): return .number(n)
        case .quoted(let name): return .property(name)
        case .word(let w):
            switch w.uppercased() {
            case "TRUE": return .bool(true)
            case "FALSE": return .bool(false)
            case "DATE", "TIMESTAMP": return .day(try dayLiteral(w))
            default: return .property(w)
            }
        case .symbol(let s): k -= 1; throw error("expected a value or property, found '\(s)'")
        }
    }

    /// `DATE('2020-01-01')` or `TIMESTAMP('2020-01-01T08:00:00Z')` as a day (UTC+8).
    mutating func dayLiteral(_ kind: String) throws(QueryError) -> String {
        try expect("(")
        guard case .string(let s)? = current else { throw error("\(kind.uppercased()) needs a quoted date") }
        k += 1
        try expect(")")
        return try day(s)
    }

    func day(_ s: String) throws(QueryError) -> String {
        do { return try OneDay.parse(s, name: "date literal") } catch { throw QueryError("filter: \(error.description)") }
    }

    mutating func spatialPredicate(_ predicate: SpatialPredicate, name: String) throws(QueryError) -> FilterExpression {
        try expect("(")
        // One side the feature geometry (`geometry`/`geom`), the other a literal.
        var literal: Geometry?
        var sawProperty = false
        for n in 0..<2 {
            if n == 1 { try expect(",") }
            if case .word(let w)? = current, ["GEOMETRY", "GEOM", "SHAPE"].contains(w.uppercased()) {
                k += 1; sawProperty = true
            } else if case .quoted(let q)? = current, ["geometry", "geom"].contains(q) {
                k += 1; sawProperty = true
            } else {
                literal = try geometryLiteral()
            }
        }
        try expect(")")
        guard sawProperty, let literal else { throw error("\(name) compares the feature's geometry with a geometry literal") }
        return .spatial(predicate, literal)
    }

    static let wktTypes: Set<String> = ["POINT", "LINESTRING", "POLYGON", "MULTIPOINT", "MULTILINESTRING", "MULTIPOLYGON", "GEOMETRYCOLLECTION"]

    /// A WKT literal (its text taken from the source up to the matching parenthesis) or
    /// BBOX(minx, miny, maxx, maxy), brought from `crs` to EPSG:4490.
    mutating func geometryLiteral() throws(QueryError) -> Geometry {
        guard case .word(let w)? = current else { throw error("expected a geometry literal (WKT or BBOX)") }
        let upper = w.uppercased()
        let start = tokens[k].1
        var g: Geometry
        if upper == "BBOX" {
            k += 1
            try expect("(")
            var n: [Double] = []
            while true {
                guard case .number(let d)? = current else { throw error("BBOX needs numbers") }
                n.append(d); k += 1
                if isSymbol(",") { k += 1; continue }
                break
            }
            try expect(")")
            guard n.count == 4 || n.count == 6 else { throw error("BBOX needs 4 (or 6) numbers") }
            let (a, b) = n.count == 4 ? (0, 2) : (0, 3)
            let lo = Position(n[a], n[a + 1]), hi = Position(n[b], n[b + 1])
            g = .polygon([[lo, Position(hi.x, lo.y), hi, Position(lo.x, hi.y), lo]])
        } else if Self.wktTypes.contains(upper) {
            k += 1
            guard isSymbol("(") else { throw error("\(upper) needs coordinates in parentheses") }
            var depth = 0
            var end = k
            while end < tokens.count {
                if tokens[end].0 == .symbol("(") { depth += 1 }
                if tokens[end].0 == .symbol(")") { depth -= 1; if depth == 0 { break } }
                end += 1
            }
            guard end < tokens.count else { throw error("unbalanced parentheses in \(upper)") }
            let text = String(source[start...tokens[end].1])
            k = end + 1
            do { g = try WKT.parse(text).geometry } catch { throw QueryError("filter: \(upper) literal at character \(start + 1): \(error)") }
        } else {
            throw error("expected a geometry literal (WKT or BBOX), found '\(w)'")
        }
        // CQL2 literals are x, y (longitude first in CRS84, or as the CRS's own axis order).
        if crs.northingFirst { g = g.mapPositions { Position($0.y, $0.x) } }
        if !crs.crs.sameCoordinates(as: .cgcs2000) {
            do { g = try Reprojector().transform(g, from: crs.crs, to: .cgcs2000) } catch { throw QueryError("filter: geometry literal: \(error)") }
        }
        return g
    }

    mutating func temporalIntersects() throws(QueryError) -> FilterExpression {
        try expect("(")
        let subject: FilterOperand
        if case .word(let w)? = current, w.lowercased() == "valid_time" { k += 1; subject = .validTime } else {
            guard case .property(let p) = try scalar() else { throw error("T_INTERSECTS needs a date property or valid_time first") }
            subject = .property(p)
        }
        try expect(",")
        var start: String?, end: String?
        if case .word(let w)? = current, w.uppercased() == "INTERVAL" {
            k += 1
            try expect("(")
            var bounds: [String?] = []
            for n in 0..<2 {
                if n == 1 { try expect(",") }
                guard case .string(let s)? = current else { throw error("INTERVAL needs two quoted instants ('..' for open)") }
                k += 1
                bounds.append(s == ".." || s.isEmpty ? nil : try day(s))
            }
            try expect(")")
            start = bounds[0]; end = bounds[1]
        } else if case .word(let w)? = current, ["DATE", "TIMESTAMP"].contains(w.uppercased()) {
            k += 1
            let d = try dayLiteral(w)
            start = d; end = d
        } else {
            throw error("T_INTERSECTS needs a DATE, TIMESTAMP or INTERVAL")
        }
        try expect(")")
        return .temporalIntersects(subject, start: start, end: end)
    }
}
