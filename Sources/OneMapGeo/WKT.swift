/// OGC Well-Known Text reading (2D; Z and M values are dropped; an EWKT `SRID=n;` prefix is returned).
public enum WKT {
    /// Parses WKT such as `POLYGON ((117.6 26.2, ...))`; returns the geometry and the SRID if given.
    public static func parse(_ text: String) throws -> (geometry: Geometry, srid: Int?) {
        var p = Parser(chars: Array(text.utf8))
        var srid: Int?
        p.skipSpace()
        if p.peekWord().uppercased() == "SRID" {
            _ = p.word()
            try p.expect(UInt8(ascii: "="))
            guard let n = Int(p.number() ?? "") else { throw GeometryCodingError.invalid("WKT: SRID must be an integer") }
            srid = n
            try p.expect(UInt8(ascii: ";"))
        }
        let g = try p.geometry()
        p.skipSpace()
        guard p.atEnd else { throw GeometryCodingError.invalid("WKT: unexpected text after the geometry at character \(p.i + 1)") }
        return (g, srid)
    }

    struct Parser {
        let chars: [UInt8]
        var i = 0
        var atEnd: Bool { i >= chars.count }

        mutating func skipSpace() { while i < chars.count, chars[i] == 0x20 || chars[i] == 0x09 || chars[i] == 0x0A || chars[i] == 0x0D { i += 1 } }

        mutating func peekWord() -> String {
            skipSpace()
            var j = i
            while j < chars.count, (chars[j] | 0x20) >= 0x61, (chars[j] | 0x20) <= 0x7A { j += 1 }
            return String(decoding: chars[i..<j], as: UTF8.self)
        }

        mutating func word() -> String {
            skipSpace()
            let w = peekWord()
            i += w.utf8.count
            return w
        }

        mutating func expect(_ c: UInt8) throws {
            skipSpace()
            guard i < chars.count, chars[i] == c else {
                throw GeometryCodingError.invalid("WKT: expected '\(Character(Unicode.Scalar(c)))' at character \(i + 1)")
            }
            i += 1
        }

        mutating func peek(_ c: UInt8) -> Bool { skipSpace(); return i < chars.count && chars[i] == c }

        mutating func number() -> String? {
            skipSpace()
            let start = i
            while i < chars.count, let c = Optional(chars[i]),
                  (c >= 0x30 && c <= 0x39) || c == 0x2E || c == 0x2D || c == 0x2B || c == 0x65 || c == 0x45 { i += 1 }
            return i > start ? String(decoding: chars[start..<i], as: UTF8.self) : nil
        }

        mutating func position(dims _: Int) throws -> Position {
            guard let xs = number(), let x = Double(xs), let ys = number(), let y = Double(ys) else {
                throw GeometryCodingError.invalid("WKT: expected a coordinate pair at character \(i + 1)")
            }
            // Z/M values (tagged or not) are read and dropped.
            while peekNumber() { _ = number() }
            return Position(x, y)
        }

        mutating func peekNumber() -> Bool {
            skipSpace()
            guard i < chars.count else { return false }
            let c = chars[i]
            return (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x2B || c == 0x2E
        }

        mutating func list<T>(_ item: (inout Parser) throws -> T) throws -> [T] {
            try expect(UInt8(ascii: "("))
            var out = [try item(&self)]
            while peek(UInt8(ascii: ",")) { i += 1; out.append(try item(&self)) }
            try expect(UInt8(ascii: ")"))
            return out
        }

        /// Collections open; bounded so nesting cannot exhaust the stack.
        var depth = 0

        /// A polygon's rings, each closed and of at least 4 positions (OGC Simple Features).
        static func rings(_ rings: [[Position]]) throws -> [[Position]] {
            for r in rings where r.count < 4 || r.first != r.last {
                throw GeometryCodingError.invalid("WKT: a polygon ring needs at least 4 positions, the last equal to the first (got \(r.count))")
            }
            return rings
        }

        mutating func geometry() throws -> Geometry {
            depth += 1
            defer { depth -= 1 }
            guard depth <= 16 else { throw GeometryCodingError.invalid("WKT: geometry collections nest deeper than 16 levels") }
            let type = word().uppercased()
            guard !type.isEmpty else { throw GeometryCodingError.invalid("WKT: expected a geometry type at character \(i + 1)") }
            var dims = 2
            let tag = peekWord().uppercased()
            if tag == "Z" || tag == "M" { _ = word(); dims = 3 } else if tag == "ZM" { _ = word(); dims = 4 }
            if peekWord().uppercased() == "EMPTY" {
                _ = word()
                switch type {
                case "POINT", "MULTIPOINT": return .multiPoint([])
                case "LINESTRING": return .lineString([])
                case "POLYGON": return .polygon([])
                case "MULTILINESTRING": return .multiLineString([])
                case "MULTIPOLYGON": return .multiPolygon([])
                default: return .geometryCollection([])
                }
            }
            let d = dims
            switch type {
            case "POINT":
                try expect(UInt8(ascii: "("))
                let p = try position(dims: d)
                try expect(UInt8(ascii: ")"))
                return .point(p)
            case "LINESTRING": return .lineString(try list { try $0.position(dims: d) })
            case "POLYGON": return .polygon(try Self.rings(try list { try $0.list { try $0.position(dims: d) } }))
            case "MULTIPOINT":
                // Both MULTIPOINT ((1 2), (3 4)) and MULTIPOINT (1 2, 3 4).
                return .multiPoint(try list { p in
                    if p.peek(UInt8(ascii: "(")) {
                        try p.expect(UInt8(ascii: "(")); let q = try p.position(dims: d); try p.expect(UInt8(ascii: ")")); return q
                    }
                    return try p.position(dims: d)
                })
            case "MULTILINESTRING": return .multiLineString(try list { try $0.list { try $0.position(dims: d) } })
            case "MULTIPOLYGON": return .multiPolygon(try list { try Self.rings(try $0.list { try $0.list { try $0.position(dims: d) } }) })
            case "GEOMETRYCOLLECTION": return .geometryCollection(try list { try $0.geometry() })
            default: throw GeometryCodingError.invalid("WKT: unknown geometry type '\(type)'")
            }
        }
    }
}
