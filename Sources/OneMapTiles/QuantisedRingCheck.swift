/// An exact test, on integer tile coordinates, that a feature's quantised rings cannot make an
/// invalid polygon. Rounding to the 4096 grid can make a valid ring touch or cross itself or a
/// neighbour (MVT 2.1 §4.3.4.4 forbids both); this check finds every such case, so only the rare
/// feature that fails it is repaired with GEOS.
///
/// It answers true when no two edges of all the rings meet except neighbours in one ring at their
/// shared vertex, and no neighbours fold back onto each other. That is stricter than OGC validity
/// (a hole may touch its shell at one point), so a false answer means "repair", not "invalid".
enum QuantisedRingCheck {
    private struct Edge {
        let a: TilePoint, b: TilePoint
        let ring: Int32, index: Int32
        var minX: Int32 { min(a.x, b.x) }
        var maxX: Int32 { max(a.x, b.x) }
        var minY: Int32 { min(a.y, b.y) }
        var maxY: Int32 { max(a.y, b.y) }
    }

    /// `rings`: open rings (the closing point not repeated), each of at least three points with no
    /// consecutive repeats.
    static func edgesMeetOnlyAtNeighbours(_ rings: [[TilePoint]]) -> Bool {
        var edges: [Edge] = []
        edges.reserveCapacity(rings.reduce(0) { $0 + $1.count })
        for (r, ring) in rings.enumerated() {
            let n = ring.count
            for i in 0..<n {
                let a = ring[i], b = ring[(i + 1) % n], c = ring[(i + 2) % n]
                // Neighbours (a,b) and (b,c) fold back when collinear and pointing against each other.
                if orient(a, b, c) == 0 && dot(a, b, c) <= 0 { return false }
                edges.append(Edge(a: a, b: b, ring: Int32(r), index: Int32(i)))
            }
        }
        edges.sort { $0.minX < $1.minX }
        for i in edges.indices {
            let e = edges[i]
            let eMaxX = e.maxX, eMinY = e.minY, eMaxY = e.maxY
            var j = i + 1
            while j < edges.count, edges[j].minX <= eMaxX {
                let f = edges[j]
                j += 1
                if f.maxY < eMinY || f.minY > eMaxY { continue }
                if f.ring == e.ring && neighbours(e.index, f.index, count: rings[Int(e.ring)].count) { continue }
                if segmentsMeet(e.a, e.b, f.a, f.b) { return false }
            }
        }
        return true
    }

    @inline(__always)
    private static func neighbours(_ i: Int32, _ j: Int32, count n: Int) -> Bool {
        let d = abs(Int(i) - Int(j))
        return d == 1 || d == n - 1
    }

    @inline(__always)
    private static func orient(_ a: TilePoint, _ b: TilePoint, _ c: TilePoint) -> Int64 {
        (Int64(b.x) - Int64(a.x)) * (Int64(c.y) - Int64(a.y)) - (Int64(b.y) - Int64(a.y)) * (Int64(c.x) - Int64(a.x))
    }

    /// (b - a) · (c - b)
    @inline(__always)
    private static func dot(_ a: TilePoint, _ b: TilePoint, _ c: TilePoint) -> Int64 {
        (Int64(b.x) - Int64(a.x)) * (Int64(c.x) - Int64(b.x)) + (Int64(b.y) - Int64(a.y)) * (Int64(c.y) - Int64(b.y))
    }

    /// Whether closed segments pq and rs share any point (touching counts).
    static func segmentsMeet(_ p: TilePoint, _ q: TilePoint, _ r: TilePoint, _ s: TilePoint) -> Bool {
        let d1 = orient(r, s, p), d2 = orient(r, s, q), d3 = orient(p, q, r), d4 = orient(p, q, s)
        if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) { return true }
        if d1 == 0 && onSegment(r, s, p) { return true }
        if d2 == 0 && onSegment(r, s, q) { return true }
        if d3 == 0 && onSegment(p, q, r) { return true }
        if d4 == 0 && onSegment(p, q, s) { return true }
        return false
    }

    /// For a point c collinear with ab: whether it lies on the closed segment.
    @inline(__always)
    private static func onSegment(_ a: TilePoint, _ b: TilePoint, _ c: TilePoint) -> Bool {
        min(a.x, b.x) <= c.x && c.x <= max(a.x, b.x) && min(a.y, b.y) <= c.y && c.y <= max(a.y, b.y)
    }
}
