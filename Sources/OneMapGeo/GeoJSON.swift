import Foundation

/// GeoJSON (RFC 7946) geometry reading and writing.
public enum GeoJSON {
    /// Parses a GeoJSON geometry object (already decoded by JSONSerialization).
    public static func geometry(from object: Any) throws -> Geometry {
        guard let dict = object as? [String: Any] else { throw GeometryCodingError.invalid("GeoJSON geometry must be an object") }
        guard let type = dict["type"] as? String else { throw GeometryCodingError.invalid("GeoJSON geometry has no \"type\"") }
        if type == "GeometryCollection" {
            guard let parts = dict["geometries"] as? [Any] else { throw GeometryCodingError.invalid("GeometryCollection has no \"geometries\" array") }
            return .geometryCollection(try parts.map { try geometry(from: $0) })
        }
        guard let coords = dict["coordinates"] else { throw GeometryCodingError.invalid("\(type) has no \"coordinates\"") }
        switch type {
        case "Point": return .point(try position(coords))
        case "MultiPoint": return .multiPoint(try positions(coords, type))
        case "LineString":
            let l = try positions(coords, type)
            guard l.count >= 2 else { throw GeometryCodingError.invalid("LineString needs at least 2 positions, got \(l.count)") }
            return .lineString(l)
        case "MultiLineString": return .multiLineString(try array(coords, type).map { try positions($0, type) })
        case "Polygon": return .polygon(try polygon(coords))
        case "MultiPolygon": return .multiPolygon(try array(coords, type).map { try polygon($0) })
        default: throw GeometryCodingError.invalid("unknown GeoJSON geometry type \"\(type)\"")
        }
    }

    /// Parses a GeoJSON geometry from JSON text.
    public static func geometry(fromJSON text: String) throws -> Geometry {
        guard let data = text.data(using: .utf8),
              let obj = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
        else { throw GeometryCodingError.invalid("malformed JSON") }
        return try geometry(from: obj)
    }

    private static func array(_ v: Any, _ type: String) throws -> [Any] {
        guard let a = v as? [Any] else { throw GeometryCodingError.invalid("\(type) coordinates must be an array") }
        return a
    }

    private static func number(_ v: Any) -> Double? {
        JSONValue.number(v)
    }

    static func position(_ v: Any) throws -> Position {
        guard let a = v as? [Any], a.count >= 2, let x = number(a[0]), let y = number(a[1]), x.isFinite, y.isFinite else {
            throw GeometryCodingError.invalid("a position must be an array of at least two numbers")
        }
        return Position(x, y)
    }

    static func positions(_ v: Any, _ type: String) throws -> [Position] {
        try array(v, type).map(position)
    }

    static func polygon(_ v: Any) throws -> Polygon {
        let rings = try array(v, "Polygon").map { try positions($0, "Polygon") }
        for (i, r) in rings.enumerated() {
            guard r.count >= 4 else { throw GeometryCodingError.invalid("Polygon ring \(i) has \(r.count) positions; a linear ring needs at least 4") }
            guard r.first == r.last else { throw GeometryCodingError.invalid("Polygon ring \(i) is not closed (first position != last)") }
        }
        guard !rings.isEmpty else { throw GeometryCodingError.invalid("Polygon has no rings") }
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
