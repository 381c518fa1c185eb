import Foundation

/// GeoJSON (RFC 7946) geometry reading and writing.
public enum GeoJSON {
    /// Parses GeoJSON geometry JSON text.
    public static func geometry(fromJSON text: String) throws -> Geometry {
        guard let node = try? FastJSONParser.parse(text) else { throw GeometryCodingError.invalid("malformed JSON") }
        return try geometry(from: node)
    }

    /// Parses a GeoJSON geometry object.
    public static func geometry(from g: JSONNode) throws -> Geometry {
        guard case .object = g else { throw GeometryCodingError.invalid("GeoJSON geometry must be an object") }
        guard let type = g["type"]?.string else { throw GeometryCodingError.invalid("GeoJSON geometry has no \"type\"") }
        if type == "GeometryCollection" {
            guard let parts = g["geometries"]?.array else { throw GeometryCodingError.invalid("GeometryCollection has no \"geometries\" array") }
            return .geometryCollection(try parts.map { try geometry(from: $0) })
        }
        guard let c = g["coordinates"] else { throw GeometryCodingError.invalid("\(type) has no \"coordinates\"") }
        return try Coordinates(c).geometry(type: type)
    }

    /// Rings that make a GeoJSON Polygon: at least one, each closed with at least 4 positions.
    static func checkedPolygon(_ rings: [[Position]]) throws -> Polygon {
        guard !rings.isEmpty else { throw GeometryCodingError.invalid("Polygon has no rings") }
        for (i, r) in rings.enumerated() {
            guard r.count >= 4 else { throw GeometryCodingError.invalid("Polygon ring \(i) has \(r.count) positions; a linear ring needs at least 4") }
            guard r.first == r.last else { throw GeometryCodingError.invalid("Polygon ring \(i) is not closed (first position != last)") }
        }
        return rings
    }

    // MARK: writing

    /// Writes a geometry as compact GeoJSON text. `precision` limits decimals (7 ≈ 1 cm in degrees).
    public static func write(_ g: Geometry, precision: Int? = nil, into out: inout String) {
        func num(_ d: Double) -> String {
            if let p = precision {
                let s = String(format: "%.\(p)f", d)
                // Trim trailing zeros for compactness.
                if s.contains(".") {
                    var t = Substring(s)
                    while t.hasSuffix("0") { t = t.dropLast() }
                    if t.hasSuffix(".") { t = t.dropLast() }
                    return String(t)
                }
                return s
            }
            if d == d.rounded(), abs(d) < 1e15 { return String(Int64(d)) }
            return "\(d)"
        }
        func pos(_ p: Position) { out += "["; out += num(p.x); out += ","; out += num(p.y); out += "]" }
        func list(_ ps: [Position]) {
            out += "["
            for (i, p) in ps.enumerated() { if i > 0 { out += "," }; pos(p) }
            out += "]"
        }
        func rings(_ rs: [[Position]]) {
            out += "["
            for (i, r) in rs.enumerated() { if i > 0 { out += "," }; list(r) }
            out += "]"
        }
        out += "{\"type\":\"\(g.typeName)\","
        switch g {
        case .point(let p): out += "\"coordinates\":"; pos(p)
        case .multiPoint(let ps), .lineString(let ps): out += "\"coordinates\":"; list(ps)
        case .multiLineString(let ls), .polygon(let ls): out += "\"coordinates\":"; rings(ls)
        case .multiPolygon(let polys):
            out += "\"coordinates\":["
            for (i, p) in polys.enumerated() { if i > 0 { out += "," }; rings(p) }
            out += "]"
        case .geometryCollection(let gs):
            out += "\"geometries\":["
            for (i, part) in gs.enumerated() { if i > 0 { out += "," }; write(part, precision: precision, into: &out) }
            out += "]"
        }
        out += "}"
    }

    public static func string(_ g: Geometry, precision: Int? = nil) -> String {
        var s = ""
        write(g, precision: precision, into: &s)
        return s
    }
}
