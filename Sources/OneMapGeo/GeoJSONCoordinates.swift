/// A GeoJSON `coordinates` member: a position, a list of positions, or a list of those. Both
/// GeoJSON readers (the JSON tree and the streaming feature parser) build geometries through it.
enum Coordinates {
    case position(Position)
    case positions([Position])
    case nested([Coordinates])
    case empty

    /// From a parsed JSON value; an array not holding arrays is a position (its first two numbers kept).
    init(_ n: JSONNode) throws {
        guard case .array(let a) = n else { throw GeometryCodingError.invalid("coordinates must be arrays") }
        guard let first = a.first else { self = .empty; return }
        if case .array = first {} else {
            guard a.count >= 2, case .number(let x, _) = a[0], case .number(let y, _) = a[1] else {
                throw GeometryCodingError.invalid("a position must be an array of at least two numbers")
            }
            self = .position(Position(x, y))
            return
        }
        let items = try a.map(Coordinates.init)
        var positions: [Position] = []
        for item in items {
            guard case .position(let p) = item else { self = .nested(items); return }
            positions.append(p)
        }
        self = .positions(positions)
    }

    /// The geometry of GeoJSON type `type` with these coordinates, checked as RFC 7946 requires.
    func geometry(type: String) throws -> Geometry {
        let c = self
        func bad(_ what: String) -> GeometryCodingError { .invalid("\(type) coordinates must be \(what)") }
        func positions(_ c: Coordinates) throws -> [Position] {
            switch c {
            case .positions(let p): return p
            case .empty: return []
            default: throw bad("arrays of positions")
            }
        }
        func list(_ c: Coordinates) throws -> [Coordinates] {
            switch c {
            case .nested(let items): return items
            case .positions(let ps): return ps.map { .position($0) }
            case .empty: return []
            case .position: throw bad("nested arrays")
            }
        }
        func polygon(_ c: Coordinates) throws -> Polygon {
            let rings: [[Position]]
            switch c {
            case .nested(let items): rings = try items.map(positions)
            case .empty: rings = []
            default: throw bad("arrays of rings")
            }
            return try GeoJSON.checkedPolygon(rings)
        }
        switch type {
        case "Point":
            guard case .position(let p) = c else { throw GeometryCodingError.invalid("a position must be an array of at least two numbers") }
            return .point(p)
        case "MultiPoint": return .multiPoint(try positions(c))
        case "LineString":
            let l = try positions(c)
            guard l.count >= 2 else { throw GeometryCodingError.invalid("LineString needs at least 2 positions, got \(l.count)") }
            return .lineString(l)
        case "MultiLineString": return .multiLineString(try list(c).map(positions))
        case "Polygon": return .polygon(try polygon(c))
        case "MultiPolygon": return .multiPolygon(try list(c).map(polygon))
        default: throw GeometryCodingError.invalid("unknown GeoJSON geometry type \"\(type)\"")
        }
    }}
