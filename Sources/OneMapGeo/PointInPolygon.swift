/// Point-to-polygon tests for placing records (people, businesses) in buildings: in lon/lat, with
/// distances in metres by a local equirectangular scale (exact enough within tens of metres).
public enum PointInPolygon {
    /// True when `p` lies inside `polygon` (even-odd over all rings, so holes are outside).
    public static func contains(_ polygon: Polygon, _ p: Position) -> Bool {
        var inside = false
        for ring in polygon where ring.count >= 4 {
            var j = ring.count - 1
            for i in 0..<ring.count {
                let a = ring[i], b = ring[j]
                if (a.y > p.y) != (b.y > p.y), p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x { inside.toggle() }
                j = i
            }
        }
        return inside
    }

    /// Metres per degree of longitude and latitude at `lat`.
    public static func metresPerDegree(atLatitude lat: Double) -> (x: Double, y: Double) {
        (111_320 * cos(lat * .pi / 180), 110_574)
    }

    /// Distance in metres from `p` to the nearest edge of `polygon` (0 when inside).
    public static func distanceMetres(_ p: Position, _ polygon: Polygon) -> Double {
        if contains(polygon, p) { return 0 }
        let m = metresPerDegree(atLatitude: p.y)
        var best = Double.infinity
        for ring in polygon where ring.count >= 2 {
            for k in 0..<(ring.count - 1) {
                let ax = (ring[k].x - p.x) * m.x, ay = (ring[k].y - p.y) * m.y
                let bx = (ring[k + 1].x - p.x) * m.x, by = (ring[k + 1].y - p.y) * m.y
                let dx = bx - ax, dy = by - ay
                let len2 = dx * dx + dy * dy
                let t = len2 > 0 ? max(0, min(1, -(ax * dx + ay * dy) / len2)) : 0
                let cx = ax + t * dx, cy = ay + t * dy
                best = min(best, (cx * cx + cy * cy).squareRoot())
            }
        }
        return best
    }

    /// Distance in metres from `p` to any geometry (0 inside a polygon or on a line), by the same
    /// local scale: for "nearest" answers within a city.
    public static func distanceMetres(_ p: Position, _ g: Geometry) -> Double {
        let m = metresPerDegree(atLatitude: p.y)
        func point(_ q: Position) -> Double { (((q.x - p.x) * m.x) * ((q.x - p.x) * m.x) + ((q.y - p.y) * m.y) * ((q.y - p.y) * m.y)).squareRoot() }
        func edges(_ l: [Position]) -> Double {
            guard l.count > 1 else { return l.first.map(point) ?? .infinity }
            var best = Double.infinity
            for k in 0..<(l.count - 1) {
                let ax = (l[k].x - p.x) * m.x, ay = (l[k].y - p.y) * m.y
                let dx = (l[k + 1].x - l[k].x) * m.x, dy = (l[k + 1].y - l[k].y) * m.y
                let len2 = dx * dx + dy * dy
                let t = len2 > 0 ? max(0, min(1, -(ax * dx + ay * dy) / len2)) : 0
                let cx = ax + t * dx, cy = ay + t * dy
                best = min(best, (cx * cx + cy * cy).squareRoot())
            }
            return best
        }
        switch g {
        case .point(let q): return point(q)
        case .multiPoint(let qs): return qs.map(point).min() ?? .infinity
        case .lineString(let l): return edges(l)
        case .multiLineString(let ls): return ls.map(edges).min() ?? .infinity
        case .polygon(let poly): return distanceMetres(p, poly)
        case .multiPolygon(let polys): return polys.map { distanceMetres(p, $0) }.min() ?? .infinity
        case .geometryCollection(let gs): return gs.map { distanceMetres(p, $0) }.min() ?? .infinity
        }
    }

}

#if canImport(Glibc)
import Glibc
#endif
