/// A quick test that a small one-ring polygon is valid, so bulk imports ask GEOS only about the
/// rest. It answers "certainly valid" or "not sure" (then GEOS decides and gives the reason):
/// any near-degenerate case counts as not sure.
public enum SimpleRingCheck {
    /// True only when `polygon` is a single closed ring of at most 64 distinct-consecutive
    /// positions with non-zero area and no two edges touching except neighbours at their vertex.
    public static func isCertainlyValid(_ polygon: Polygon) -> Bool {
        guard polygon.count == 1 else { return false }
        let r = polygon[0]
        let n = r.count - 1  // edges
        guard n >= 3, n <= 64, r[0] == r[n] else { return false }
        var area = 0.0
        for k in 0..<n {
            let a = r[k], b = r[k + 1]
            guard a.x.isFinite, a.y.isFinite, a != b else { return false }
            area += a.x * b.y - b.x * a.y
        }
        guard abs(area) > 0 else { return false }
        for i in 0..<n {
            let a = r[i], b = r[i + 1]
            // Neighbours share a vertex: they must not fold back onto each other.
            let c = i + 2 <= n ? r[i + 2] : r[1]
            let turn = orient(a, b, c)
            if abs(turn) <= tolerance(a, b, c) && (b.x - a.x) * (c.x - b.x) + (b.y - a.y) * (c.y - b.y) <= 0 { return false }
            // Non-neighbours must not meet at all.
            for j in stride(from: i + 2, to: n, by: 1) where !(i == 0 && j == n - 1) {
                if mayTouch(a, b, r[j], r[j + 1]) { return false }
            }
        }
        return true
    }

    @inline(__always)
    private static func orient(_ a: Position, _ b: Position, _ c: Position) -> Double {
        (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
    }

    /// Rounding room for an orientation value: relative to the size of its products.
    @inline(__always)
    private static func tolerance(_ a: Position, _ b: Position, _ c: Position) -> Double {
        1e-9 * (abs(b.x - a.x) + abs(b.y - a.y)) * (abs(c.x - a.x) + abs(c.y - a.y))
    }

    /// True when segments pq and rs intersect or come too close to tell.
    private static func mayTouch(_ p: Position, _ q: Position, _ r: Position, _ s: Position) -> Bool {
        if max(p.x, q.x) < min(r.x, s.x) || max(r.x, s.x) < min(p.x, q.x)
            || max(p.y, q.y) < min(r.y, s.y) || max(r.y, s.y) < min(p.y, q.y) { return false }
        let d1 = orient(r, s, p), d2 = orient(r, s, q), d3 = orient(p, q, r), d4 = orient(p, q, s)
        if abs(d1) <= tolerance(r, s, p) || abs(d2) <= tolerance(r, s, q)
            || abs(d3) <= tolerance(p, q, r) || abs(d4) <= tolerance(p, q, s) { return true }
        return (d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0)
    }
}
