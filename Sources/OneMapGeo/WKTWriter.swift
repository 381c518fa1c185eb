import Foundation

extension WKT {
    /// OGC Well-Known Text of `g` (`POLYGON ((x y, ...))`), x before y as stored: longitude
    /// before latitude, easting before northing, as GIS tools read WKT columns.
    /// `precision`: decimals (nil: shortest exact form).
    public static func write(_ g: Geometry, precision: Int? = nil) -> String {
        var out = ""
        write(g, precision: precision, into: &out)
        return out
    }

    public static func write(_ g: Geometry, precision: Int? = nil, into out: inout String) {
        func num(_ d: Double) {
            if let p = precision {
                var s = String(format: "%.\(p)f", d)
                if s.contains(".") {
                    while s.hasSuffix("0") { s.removeLast() }
                    if s.hasSuffix(".") { s.removeLast() }
                }
                out += s == "-0" ? "0" : s
            } else if d == d.rounded(), abs(d) < 1e15 {
                out += String(Int64(d))
            } else {
                out += "\(d)"
            }
        }
        func pos(_ p: Position) { num(p.x); out += " "; num(p.y) }
        func list(_ ps: [Position]) {
            out += "("
            for (i, p) in ps.enumerated() { if i > 0 { out += ", " }; pos(p) }
            out += ")"
        }
        func rings(_ rs: [[Position]]) {
            out += "("
            for (i, r) in rs.enumerated() { if i > 0 { out += ", " }; list(r) }
            out += ")"
        }
        switch g {
        case .point(let p): out += "POINT ("; pos(p); out += ")"
        case .multiPoint(let ps):
            if ps.isEmpty { out += "MULTIPOINT EMPTY"; return }
            out += "MULTIPOINT ("
            for (i, p) in ps.enumerated() { if i > 0 { out += ", " }; out += "("; pos(p); out += ")" }
            out += ")"
        case .lineString(let l):
            if l.isEmpty { out += "LINESTRING EMPTY"; return }
            out += "LINESTRING "; list(l)
        case .multiLineString(let ls):
            if ls.isEmpty { out += "MULTILINESTRING EMPTY"; return }
            out += "MULTILINESTRING "; rings(ls)
        case .polygon(let p):
            if p.isEmpty { out += "POLYGON EMPTY"; return }
            out += "POLYGON "; rings(p)
        case .multiPolygon(let ps):
            if ps.isEmpty { out += "MULTIPOLYGON EMPTY"; return }
            out += "MULTIPOLYGON ("
            for (i, p) in ps.enumerated() { if i > 0 { out += ", " }; rings(p) }
            out += ")"
        case .geometryCollection(let gs):
            if gs.isEmpty { out += "GEOMETRYCOLLECTION EMPTY"; return }
            out += "GEOMETRYCOLLECTION ("
            for (i, m) in gs.enumerated() { if i > 0 { out += ", " }; write(m, precision: precision, into: &out) }
            out += ")"
        }
    }
}
