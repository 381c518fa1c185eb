#if canImport(Glibc)
import Glibc
#endif

/// One GeoJSON Feature read straight from bytes: geometry coordinates go into positions without
/// a JSON tree (the tree costs most of an import's reading time), properties stay JSON values.
public struct ParsedFeature: Sendable {
    public var id: JSONNode?
    public var properties: [(String, JSONNode)] = []
    /// Nil for a null or missing geometry.
    public var geometry: Geometry?
    /// Why the feature cannot be used (malformed JSON, not a Feature, a bad geometry).
    public var error: String?
}

extension FastJSONParser {
    /// Splits a FeatureCollection into its features' byte ranges without parsing them (so they can
    /// be parsed in parallel), with the collection's other members (`type`, `crs`, ...) parsed.
    public static func featureCollectionRanges(_ bytes: UnsafeRawBufferPointer) throws -> (members: [(String, JSONNode)], features: [Range<Int>]?) {
        var p = FastJSONParser(bytes)
        p.skip()
        guard p.i < bytes.count, bytes[p.i] == UInt8(ascii: "{") else { throw p.fail("expected an object") }
        p.i += 1
        var members: [(String, JSONNode)] = []
        var features: [Range<Int>]?
        p.skip()
        if p.i < bytes.count, bytes[p.i] == UInt8(ascii: "}") { p.i += 1; return (members, nil) }
        while true {
            let k = try p.memberName()
            p.skip()
            if k == "features", p.i < bytes.count, bytes[p.i] == UInt8(ascii: "[") {
                p.i += 1
                var ranges: [Range<Int>] = []
                p.skip()
                if p.i < bytes.count, bytes[p.i] == UInt8(ascii: "]") { p.i += 1 } else {
                    while true {
                        p.skip()
                        let start = p.i
                        try p.skipValue()
                        ranges.append(start..<p.i)
                        if try p.another(before: UInt8(ascii: "]")) { continue }
                        break
                    }
                }
                features = ranges
            } else {
                members.append((k, try p.value()))
            }
            if try p.another(before: UInt8(ascii: "}")) { continue }
            break
        }
        p.skip()
        guard p.i == bytes.count else { throw p.fail("unexpected data after the JSON value") }
        return (members, features)
    }

    /// Moves past one value, checking only its bracket structure and strings. This runs over the
    /// whole file on one core before the parallel parse, so it is a tight byte loop: `[` and `{`
    /// (and `]` and `}`) differ only in bit 5, and strings are skipped with memchr.
    mutating func skipValue() throws {
        skip()
        guard i < b.count else { throw fail("unexpected end") }
        let c = b[i]
        guard c == UInt8(ascii: "{") || c == UInt8(ascii: "["), let base = b.baseAddress?.assumingMemoryBound(to: UInt8.self) else {
            _ = try value(); return
        }
        let n = b.count
        var p = i, depth = 0
        while p < n {
            let ch = base[p]
            if ch == UInt8(ascii: "\"") {
                p += 1
                while true {
                    guard let q = memchr(base + p, 0x22, n - p) else { i = n; throw fail("unterminated string") }
                    let close = base.distance(to: q.assumingMemoryBound(to: UInt8.self))
                    var slashes = 0
                    while close - slashes - 1 >= p, base[close - slashes - 1] == UInt8(ascii: "\\") { slashes += 1 }
                    p = close + 1
                    if slashes % 2 == 0 { break }  // not an escaped quote
                }
                continue
            }
            let folded = ch | 0x20
            if folded == UInt8(ascii: "{") {
                depth += 1
            } else if folded == UInt8(ascii: "}") {
                depth -= 1
                if depth == 0 { i = p + 1; return }
            }
            p += 1
        }
        i = n
        throw fail("unterminated value")
    }

    /// Parses one Feature occupying exactly `range` of `bytes`; failures are reported in the result.
    public static func feature(_ bytes: UnsafeRawBufferPointer, range: Range<Int>) -> ParsedFeature {
        var p = FastJSONParser(UnsafeRawBufferPointer(rebasing: bytes[range]))
        var f = ParsedFeature()
        do {
            p.skip()
            guard p.i < p.b.count, p.b[p.i] == UInt8(ascii: "{") else { f.error = "not a GeoJSON Feature (not an object)"; return f }
            p.i += 1
            var type: String?
            var geometryError: String?
            p.skip()
            if p.i < p.b.count, p.b[p.i] == UInt8(ascii: "}") { p.i += 1 } else {
                while true {
                    let k = try p.memberName()
                    p.skip()
                    switch k {
                    case "type": type = try p.value().string
                    case "id": f.id = try p.value()
                    case "properties":
                        if case .object(let m) = try p.value() { f.properties = m }
                    case "geometry":
                        do { f.geometry = try p.geometry() } catch let e as GeometryCodingError {
                            geometryError = "\(e)"
                            p.i = 0
                            // Resynchronise: re-scan to this member's end structurally.
                            try p.skipTo(member: "geometry")
                        }
                    default: try p.skipValue()
                    }
                    if try p.another(before: UInt8(ascii: "}")) { continue }
                    break
                }
            }
            p.skip()
            guard p.i == p.b.count else { throw p.fail("unexpected data after the feature") }
            guard type == "Feature" else { f.error = "not a GeoJSON Feature (type \(type ?? "missing"))"; return f }
            if let geometryError { f.error = "geometry: \(geometryError)"; f.geometry = nil }
        } catch {
            f.error = "malformed JSON: \(error)"
            f.geometry = nil
        }
        return f
    }

    /// After a geometry failed mid-way: positions the parser just past the top-level member `name`.
    private mutating func skipTo(member name: String) throws {
        i = 0
        skip()
        i += 1  // {
        while true {
            skip()
            let k = try string()
            skip()
            i += 1  // :
            try skipValue()
            if k == name { return }
            skip()
            guard i < b.count, b[i] == UInt8(ascii: ",") else { throw fail("member '\(name)' not found") }
            i += 1
        }
    }

    /// A GeoJSON geometry object (or null) at the current position.
    mutating func geometry() throws -> Geometry? {
        skip()
        guard i < b.count else { throw fail("unexpected end") }
        if b[i] == UInt8(ascii: "n") { _ = try value(); return nil }
        guard b[i] == UInt8(ascii: "{") else { throw GeometryCodingError.invalid("GeoJSON geometry must be an object") }
        i += 1
        var type: String?
        var coordinates: Coordinates?
        var members: [Geometry]?
        skip()
        if i < b.count, b[i] == UInt8(ascii: "}") { i += 1 } else {
            while true {
                let k = try memberName()
                skip()
                switch k {
                case "type": type = try value().string
                case "coordinates": coordinates = try self.coordinates()
                case "geometries":
                    guard i < b.count, b[i] == UInt8(ascii: "[") else { throw GeometryCodingError.invalid("GeometryCollection \"geometries\" must be an array") }
                    i += 1
                    var parts: [Geometry] = []
                    skip()
                    if i < b.count, b[i] == UInt8(ascii: "]") { i += 1 } else {
                        while true {
                            guard let g = try geometry() else { throw GeometryCodingError.invalid("null member in a GeometryCollection") }
                            parts.append(g)
                            if try another(before: UInt8(ascii: "]")) { continue }
                            break
                        }
                    }
                    members = parts
                default: try skipValue()
                }
                if try another(before: UInt8(ascii: "}")) { continue }
                break
            }
        }
        guard let type else { throw GeometryCodingError.invalid("GeoJSON geometry has no \"type\"") }
        if type == "GeometryCollection" {
            guard let members else { throw GeometryCodingError.invalid("GeometryCollection has no \"geometries\" array") }
            return .geometryCollection(members)
        }
        guard let coordinates else { throw GeometryCodingError.invalid("\(type) has no \"coordinates\"") }
        return try coordinates.geometry(type: type)
    }

    /// Nested arrays of numbers; a numeric array is a position (first two numbers kept).
    private mutating func coordinates() throws -> Coordinates {
        skip()
        guard i < b.count, b[i] == UInt8(ascii: "[") else { throw GeometryCodingError.invalid("coordinates must be arrays") }
        i += 1
        skip()
        guard i < b.count else { throw fail("unterminated array") }
        if b[i] == UInt8(ascii: "]") { i += 1; return .empty }
        if b[i] != UInt8(ascii: "[") {
            // A position: numbers (a third, elevation, and any more are read and dropped).
            var x = 0.0, y = 0.0, n = 0
            while true {
                skip()
                let (d, _) = try numberValue()
                if n == 0 { x = d } else if n == 1 { y = d }
                n += 1
                if try another(before: UInt8(ascii: "]")) { continue }
                break
            }
            guard n >= 2 else { throw GeometryCodingError.invalid("a position must be an array of at least two numbers") }
            return .position(Position(x, y))
        }
        var items: [Coordinates] = []
        var positions: [Position] = []
        var allPositions = true
        while true {
            let c = try coordinates()
            if allPositions, case .position(let p) = c { positions.append(p) } else {
                if allPositions { items = positions.map { .position($0) }; allPositions = false }
                items.append(c)
            }
            if try another(before: UInt8(ascii: "]")) { continue }
            break
        }
        return allPositions ? .positions(positions) : .nested(items)
    }
}
