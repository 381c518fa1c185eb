import OneMapGeo

/// Turns lon/lat geometry into MVT tile geometry for one tile: project to tile units, clip to the
/// buffered tile, simplify, quantise to integers, drop repeated points and degenerate parts, and
/// wind rings as the spec requires.
public struct TileGeometryBuilder {
    /// The tile matrix set and the tile's bounds in its CRS units.
    public let tms: TileMatrixSet
    public let bounds: BBox
    public let extent: Double
    public let buffer: Double
    /// Douglas-Peucker tolerance in tile units (0 = none).
    public let tolerance: Double
    /// Input positions are already in the tile matrix set's CRS (a `LayerSnapshot`), not lon/lat.
    public let projectedInput: Bool
    private let originX: Double, originY: Double, scale: Double
    private let clipBox: BBox

    /// A WebMercatorQuad tile.
    public init(tile: TileCoord, extent: Int = 4096, buffer: Int = 64, tolerance: Double = 1) {
        self.init(tms: .webMercatorQuad, level: tile.z, row: tile.y, column: tile.x, extent: extent, buffer: buffer, tolerance: tolerance)
    }

    public init(tms: TileMatrixSet, level: Int, row: Int, column: Int, extent: Int = 4096, buffer: Int = 64, tolerance: Double = 1,
                projectedInput: Bool = false) {
        self.tms = tms
        self.projectedInput = projectedInput
        self.extent = Double(extent); self.buffer = Double(buffer); self.tolerance = tolerance
        let b = tms.bounds(level: level, row: row, column: column)
        bounds = b
        originX = b.minX; originY = b.maxY
        scale = Double(extent) / b.width
        clipBox = BBox(minX: -Double(buffer), minY: -Double(buffer), maxX: Double(extent + buffer), maxY: Double(extent + buffer))
    }

    /// The lon/lat box a query must cover to fill this tile including its buffer.
    public var queryBounds: BBox {
        let pad = bounds.width * buffer / extent
        let lo = tms.unproject(Position(bounds.minX - pad, bounds.minY - pad))
        let hi = tms.unproject(Position(bounds.maxX + pad, bounds.maxY + pad))
        return BBox(minX: max(-180, lo.x), minY: max(-90, lo.y), maxX: min(180, hi.x), maxY: min(90, hi.y))
    }

    /// The tile's bounds with its buffer, in the tile matrix set's CRS.
    public var bufferedBounds: BBox {
        let pad = bounds.width * buffer / extent
        return BBox(minX: bounds.minX - pad, minY: bounds.minY - pad, maxX: bounds.maxX + pad, maxY: bounds.maxY + pad)
    }

    /// Lon/lat (or, with `projectedInput`, CRS units) to tile units (x right, y down), unrounded.
    @inline(__always) func project(_ p: Position) -> Position {
        let m = projectedInput ? p : tms.project(p)
        return Position((m.x - originX) * scale, (originY - m.y) * scale)
    }

    /// CRS units to tile units (x right, y down), unrounded.
    @inline(__always) public func tileUnits(_ m: Position) -> Position {
        Position((m.x - originX) * scale, (originY - m.y) * scale)
    }

    /// The tile geometry, or nil when nothing of it remains in this tile.
    public func build(_ g: Geometry, engine: GeometryEngine) throws -> TileGeometry? {
        switch g {
        case .point(let p): return points([p])
        case .multiPoint(let ps): return points(ps)
        case .lineString(let l): return try lines([l], engine: engine)
        case .multiLineString(let ls): return try lines(ls, engine: engine)
        case .polygon(let p): return try polygons([p], engine: engine)
        case .multiPolygon(let ps): return try polygons(ps, engine: engine)
        case .geometryCollection(let gs):
            // MVT has no collections: keep the polygonal part, which is what area layers need.
            let polys = gs.flatMap(\.polygons)
            return polys.isEmpty ? nil : try polygons(polys, engine: engine)
        }
    }

    func points(_ ps: [Position]) -> TileGeometry? {
        var out: [TilePoint] = []
        for p in ps {
            let t = project(p)
            if clipBox.contains(t) { out.append(TilePoint(Int32(t.x.rounded()), Int32(t.y.rounded()))) }
        }
        return out.isEmpty ? nil : .points(out)
    }

    func lines(_ ls: [[Position]], engine: GeometryEngine) throws -> TileGeometry? {
        var projected = ls.map { $0.map(project) }
        if let b = Geometry.multiLineString(projected).bbox, !clipBox.contains(b) {
            guard b.intersects(clipBox), let clipped = try engine.clip(.multiLineString(projected), to: clipBox) else { return nil }
            switch clipped {
            case .lineString(let l): projected = [l]
            case .multiLineString(let m): projected = m
            case .geometryCollection(let gs): projected = gs.compactMap { if case .lineString(let l) = $0 { l } else { nil } }
            default: return nil
            }
        }
        let out = projected.compactMap { line -> [TilePoint]? in
            let q = quantise(simplify(line))
            return q.count >= 2 ? q : nil
        }
        return out.isEmpty ? nil : .lines(out)
    }

    func polygons(_ polys: [Polygon], engine: GeometryEngine) throws -> TileGeometry? {
        var projected = polys.map { $0.map { $0.map(project) } }
        guard let b = Geometry.multiPolygon(projected).bbox, b.intersects(clipBox) else { return nil }
        if !clipBox.contains(b) {
            guard let clipped = try engine.clip(.multiPolygon(projected), to: clipBox) else { return nil }
            projected = clipped.polygons
        }
        let simplified = projected.map { $0.map(simplify) }
        let rings = Self.wound(simplified.map { $0.map(quantise) })
        if rings.isEmpty { return nil }
        if QuantisedRingCheck.edgesMeetOnlyAtNeighbours(rings) { return .polygons(rings) }
        // Rounding made rings touch or cross: snap-round the unrounded polygons to the integer
        // grid instead, which keeps them valid (collapsed parts are dropped).
        guard let snapped = try snapRounded(simplified, engine: engine) else { return nil }
        let repaired = Self.wound(snapped.polygons.map { $0.map(quantise) })
        return repaired.isEmpty ? nil : .polygons(repaired)
    }

    /// The polygons snap-rounded to the integer grid. Simplification may already have made a ring
    /// cross itself, which precision reduction refuses ("side location conflict"): such input is
    /// made valid first, keeping its polygonal parts.
    private func snapRounded(_ polys: [Polygon], engine: GeometryEngine) throws -> Geometry? {
        // Simplification can leave a small ring with fewer than 4 positions, which GEOS cannot
        // read as a ring: such a hole goes, and such an exterior takes its polygon with it.
        let polys = polys.compactMap { p -> Polygon? in
            guard let shell = p.first, shell.count >= 4 else { return nil }
            return [shell] + p.dropFirst().filter { $0.count >= 4 }
        }
        guard !polys.isEmpty else { return nil }
        do {
            return try engine.snapToGrid(.multiPolygon(polys), gridSize: 1)
        } catch is GEOSError {
            guard let valid = try engine.makeValid(.multiPolygon(polys)) else { return nil }
            let parts = valid.polygons
            return parts.isEmpty ? nil : try engine.snapToGrid(.multiPolygon(parts), gridSize: 1)
        }
    }

    /// Rings in MVT order and winding: each exterior (positive area, clockwise on screen) followed
    /// by its holes (negative). Open rings (ClosePath closes them); parts of fewer than three
    /// points or no area are dropped, and an exterior that goes takes its holes with it.
    static func wound(_ polys: [[[TilePoint]]]) -> [[TilePoint]] {
        var rings: [[TilePoint]] = []
        for poly in polys {
            for (i, ring) in poly.enumerated() {
                var q = ring
                if q.count > 1, q.first == q.last { q.removeLast() }
                guard q.count >= 3 else {
                    if i == 0 { break } else { continue }
                }
                let area = signedArea(q)
                if area == 0 {
                    if i == 0 { break } else { continue }
                }
                if (i == 0) != (area > 0) { q.reverse() }
                rings.append(q)
            }
        }
        return rings
    }

    /// Rounds to integers and drops consecutive repeats.
    func quantise(_ ps: [Position]) -> [TilePoint] {
        var out: [TilePoint] = []
        out.reserveCapacity(ps.count)
        for p in ps {
            let t = TilePoint(Int32(p.x.rounded()), Int32(p.y.rounded()))
            if out.last != t { out.append(t) }
        }
        return out
    }

    /// Douglas-Peucker on one ring or line (endpoints kept).
    func simplify(_ ps: [Position]) -> [Position] {
        guard tolerance > 0, ps.count > 4 else { return ps }
        var keep = [Bool](repeating: false, count: ps.count)
        keep[0] = true; keep[ps.count - 1] = true
        var stack = [(0, ps.count - 1)]
        let tol2 = tolerance * tolerance
        while let (a, b) = stack.popLast() {
            guard b > a + 1 else { continue }
            var maxD = -1.0, index = a
            let pa = ps[a], pb = ps[b]
            let dx = pb.x - pa.x, dy = pb.y - pa.y
            let len2 = dx * dx + dy * dy
            for i in (a + 1)..<b {
                let p = ps[i]
                var d: Double
                if len2 == 0 {
                    d = (p.x - pa.x) * (p.x - pa.x) + (p.y - pa.y) * (p.y - pa.y)
                } else {
                    let t = max(0, min(1, ((p.x - pa.x) * dx + (p.y - pa.y) * dy) / len2))
                    let ex = pa.x + t * dx - p.x, ey = pa.y + t * dy - p.y
                    d = ex * ex + ey * ey
                }
                if d > maxD { maxD = d; index = i }
            }
            if maxD > tol2 {
                keep[index] = true
                stack.append((a, index)); stack.append((index, b))
            }
        }
        var out: [Position] = []
        for (i, p) in ps.enumerated() where keep[i] { out.append(p) }
        return out
    }

    /// Shoelace area in tile coordinates (the MVT spec's sign convention), doubled to stay integral.
    static func signedArea(_ ring: [TilePoint]) -> Int64 {
        var sum: Int64 = 0
        var prev = ring[ring.count - 1]
        for p in ring {
            sum += Int64(prev.x) * Int64(p.y) - Int64(p.x) * Int64(prev.y)
            prev = p
        }
        return sum
    }
}
