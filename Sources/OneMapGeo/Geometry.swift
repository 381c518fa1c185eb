/// A planar position (x = longitude / easting, y = latitude / northing).
public struct Position: Sendable, Hashable {
    public var x: Double
    public var y: Double
    @inlinable public init(_ x: Double, _ y: Double) { self.x = x; self.y = y }
}

/// A ring or line: an ordered list of positions.
public typealias LineString = [Position]
/// A polygon: the exterior ring first, then holes. Rings are closed (first == last).
public typealias Polygon = [[Position]]

/// A Simple Features geometry value (2D). Coordinates are in whatever CRS the holder says.
public enum Geometry: Sendable, Hashable {
    case point(Position)
    case multiPoint([Position])
    case lineString(LineString)
    case multiLineString([LineString])
    case polygon(Polygon)
    case multiPolygon([Polygon])
    case geometryCollection([Geometry])

    /// The OGC type name (`Point`, `MultiPolygon`, ...), as GeoJSON spells it.
    public var typeName: String {
        switch self {
        case .point: "Point"
        case .multiPoint: "MultiPoint"
        case .lineString: "LineString"
        case .multiLineString: "MultiLineString"
        case .polygon: "Polygon"
        case .multiPolygon: "MultiPolygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// The type without `Multi` (`Polygon` for Polygon and MultiPolygon): what can share a layer.
    public var familyName: String {
        switch self {
        case .point, .multiPoint: "Point"
        case .lineString, .multiLineString: "LineString"
        case .polygon, .multiPolygon: "Polygon"
        case .geometryCollection: "GeometryCollection"
        }
    }

    /// True when the geometry holds no coordinates at all.
    public var isEmpty: Bool {
        switch self {
        case .point: false
        case .multiPoint(let p): p.isEmpty
        case .lineString(let l): l.isEmpty
        case .multiLineString(let l): l.allSatisfy(\.isEmpty)
        case .polygon(let p): p.first?.isEmpty ?? true
        case .multiPolygon(let p): p.allSatisfy { $0.first?.isEmpty ?? true }
        case .geometryCollection(let g): g.allSatisfy(\.isEmpty)
        }
    }

    /// Calls `body` for every position, in storage order.
    public func forEachPosition(_ body: (Position) -> Void) {
        switch self {
        case .point(let p): body(p)
        case .multiPoint(let ps), .lineString(let ps): ps.forEach(body)
        case .multiLineString(let ls): ls.forEach { $0.forEach(body) }
        case .polygon(let rings): rings.forEach { $0.forEach(body) }
        case .multiPolygon(let polys): polys.forEach { $0.forEach { $0.forEach(body) } }
        case .geometryCollection(let gs): gs.forEach { $0.forEachPosition(body) }
        }
    }

    /// Returns the geometry with every position mapped through `transform`.
    public func mapPositions(_ transform: (Position) throws -> Position) rethrows -> Geometry {
        switch self {
        case .point(let p): return .point(try transform(p))
        case .multiPoint(let ps): return .multiPoint(try ps.map(transform))
        case .lineString(let ps): return .lineString(try ps.map(transform))
        case .multiLineString(let ls): return .multiLineString(try ls.map { try $0.map(transform) })
        case .polygon(let rings): return .polygon(try rings.map { try $0.map(transform) })
        case .multiPolygon(let polys): return .multiPolygon(try polys.map { try $0.map { try $0.map(transform) } })
        case .geometryCollection(let gs): return .geometryCollection(try gs.map { try $0.mapPositions(transform) })
        }
    }

    /// The bounding box, or nil for an empty geometry.
    public var bbox: BBox? {
        var box: BBox?
        forEachPosition { p in
            if box == nil { box = BBox(minX: p.x, minY: p.y, maxX: p.x, maxY: p.y) } else { box!.extend(p) }
        }
        return box
    }

    /// Number of positions (for sizing buffers).
    public var positionCount: Int {
        switch self {
        case .point: 1
        case .multiPoint(let ps), .lineString(let ps): ps.count
        case .multiLineString(let ls): ls.reduce(0) { $0 + $1.count }
        case .polygon(let rings): rings.reduce(0) { $0 + $1.count }
        case .multiPolygon(let polys): polys.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        case .geometryCollection(let gs): gs.reduce(0) { $0 + $1.positionCount }
        }
    }

    /// The polygons of a polygonal geometry (empty for other types).
    public var polygons: [Polygon] {
        switch self {
        case .polygon(let p): [p]
        case .multiPolygon(let ps): ps
        case .geometryCollection(let gs): gs.flatMap(\.polygons)
        default: []
        }
    }
}

/// An axis-aligned bounding box.
public struct BBox: Sendable, Hashable, CustomStringConvertible {
    public var minX: Double, minY: Double, maxX: Double, maxY: Double

    public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
        self.minX = minX; self.minY = minY; self.maxX = maxX; self.maxY = maxY
    }

    public mutating func extend(_ p: Position) {
        if p.x < minX { minX = p.x }
        if p.x > maxX { maxX = p.x }
        if p.y < minY { minY = p.y }
        if p.y > maxY { maxY = p.y }
    }

    public mutating func extend(_ b: BBox) {
        minX = Swift.min(minX, b.minX); minY = Swift.min(minY, b.minY)
        maxX = Swift.max(maxX, b.maxX); maxY = Swift.max(maxY, b.maxY)
    }

    public func intersects(_ o: BBox) -> Bool {
        minX <= o.maxX && o.minX <= maxX && minY <= o.maxY && o.minY <= maxY
    }

    public func contains(_ o: BBox) -> Bool {
        minX <= o.minX && o.maxX <= maxX && minY <= o.minY && o.maxY <= maxY
    }

    public func contains(_ p: Position) -> Bool {
        p.x >= minX && p.x <= maxX && p.y >= minY && p.y <= maxY
    }

    /// The box grown by `d` on every side.
    public func expanded(by d: Double) -> BBox {
        BBox(minX: minX - d, minY: minY - d, maxX: maxX + d, maxY: maxY + d)
    }

    public var width: Double { maxX - minX }
    public var height: Double { maxY - minY }
    /// The box as a closed counter-clockwise ring.
    public var polygon: Geometry {
        .polygon([[Position(minX, minY), Position(maxX, minY), Position(maxX, maxY), Position(minX, maxY), Position(minX, minY)]])
    }
    public var center: Position { Position((minX + maxX) / 2, (minY + maxY) / 2) }
    public var description: String { "\(minX),\(minY),\(maxX),\(maxY)" }
}

/// Planar measures used by generators and tile encoders.
public enum Planar {
    /// Signed area of a ring by the surveyor's (shoelace) formula: positive when counter-clockwise
    /// in a y-up system.
    public static func signedArea(_ ring: [Position]) -> Double {
        guard ring.count >= 3 else { return 0 }
        var sum = 0.0
        var prev = ring[ring.count - 1]
        for p in ring {
            sum += (prev.x * p.y - p.x * prev.y)
            prev = p
        }
        return sum / 2
    }

    /// Area-weighted centroid of a polygon's exterior ring (falls back to the vertex mean).
    public static func centroid(_ ring: [Position]) -> Position {
        var a = 0.0, cx = 0.0, cy = 0.0
        guard ring.count >= 3 else {
            let n = Double(max(ring.count, 1))
            return Position(ring.reduce(0) { $0 + $1.x } / n, ring.reduce(0) { $0 + $1.y } / n)
        }
        let o = ring[0]  // shift to the first vertex for precision
        var prev = ring[ring.count - 1]
        for p in ring {
            let x0 = prev.x - o.x, y0 = prev.y - o.y, x1 = p.x - o.x, y1 = p.y - o.y
            let c = x0 * y1 - x1 * y0
            a += c; cx += (x0 + x1) * c; cy += (y0 + y1) * c
            prev = p
        }
        if abs(a) < 1e-300 {
            let n = Double(ring.count)
            return Position(ring.reduce(0) { $0 + $1.x } / n, ring.reduce(0) { $0 + $1.y } / n)
        }
        return Position(o.x + cx / (3 * a), o.y + cy / (3 * a))
    }

    /// Even-odd point-in-ring test.
    public static func ringContains(_ ring: [Position], _ p: Position) -> Bool {
        var inside = false
        var j = ring.count - 1
        for i in 0..<ring.count {
            let a = ring[i], b = ring[j]
            if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x {
                inside.toggle()
            }
            j = i
        }
        return inside
    }
}
