import OneMapGeo

/// A uniform grid over building centroids (about 1 km cells at Sanming's latitude): the building
/// versions whose centroid falls in each cell, as CSR lists. A drawn area visits the cells its box
/// meets; a cell wholly inside the area takes all its buildings without a point test.
struct CentroidGrid: Sendable {
    static let cellDegrees = 0.01
    private(set) var originX = 0.0, originY = 0.0
    private(set) var columns = 0, rows = 0
    private(set) var cellStart: [Int32] = [0]
    private(set) var cellBuildings: [Int32] = []

    init() {}

    /// Centroids that are not finite numbers are in no cell (no drawn area can contain them).
    init(x: [Double], y: [Double]) {
        let finite = x.indices.filter { x[$0].isFinite && y[$0].isFinite }
        guard let minX = finite.lazy.map({ x[$0] }).min(), let maxX = finite.lazy.map({ x[$0] }).max(),
              let minY = finite.lazy.map({ y[$0] }).min(), let maxY = finite.lazy.map({ y[$0] }).max() else { return }
        originX = minX; originY = minY
        columns = Int(((maxX - minX) / Self.cellDegrees).rounded(.down)) + 1
        rows = Int(((maxY - minY) / Self.cellDegrees).rounded(.down)) + 1
        var counts = [Int32](repeating: 0, count: columns * rows + 1)
        var cellOf = [Int32](repeating: 0, count: x.count)
        for i in finite {
            let c = cell(x[i], y[i])
            cellOf[i] = Int32(c)
            counts[c + 1] += 1
        }
        for c in 0..<(columns * rows) { counts[c + 1] += counts[c] }
        var next = counts
        var list = [Int32](repeating: 0, count: finite.count)
        for i in finite {
            let c = Int(cellOf[i])
            list[Int(next[c])] = Int32(i)
            next[c] += 1
        }
        cellStart = counts
        cellBuildings = list
    }

    private func cell(_ x: Double, _ y: Double) -> Int {
        let cx = min(columns - 1, max(0, Int(((x - originX) / Self.cellDegrees).rounded(.down))))
        let cy = min(rows - 1, max(0, Int(((y - originY) / Self.cellDegrees).rounded(.down))))
        return cy * columns + cx
    }

    /// The cells meeting `box`: their index and rectangle.
    func cells(meeting box: BBox, _ body: (Int, BBox) throws -> Void) rethrows {
        guard columns > 0 else { return }
        let x0 = max(0, Int(((box.minX - originX) / Self.cellDegrees).rounded(.down)))
        let x1 = min(columns - 1, Int(((box.maxX - originX) / Self.cellDegrees).rounded(.down)))
        let y0 = max(0, Int(((box.minY - originY) / Self.cellDegrees).rounded(.down)))
        let y1 = min(rows - 1, Int(((box.maxY - originY) / Self.cellDegrees).rounded(.down)))
        guard x0 <= x1, y0 <= y1 else { return }
        for cy in y0...y1 {
            for cx in x0...x1 {
                // The cell's rectangle, widened by a hair: a centroid placed in it by rounding may lie
                // an ulp outside, and "wholly inside" must hold for it too.
                let e = 1e-9
                let minX = originX + Double(cx) * Self.cellDegrees - e, maxX = originX + Double(cx + 1) * Self.cellDegrees + e
                let minY = originY + Double(cy) * Self.cellDegrees - e, maxY = originY + Double(cy + 1) * Self.cellDegrees + e
                try body(cy * columns + cx, BBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY))
            }
        }
    }

    var cellCount: Int { columns * rows }

    func buildings(inCell c: Int) -> Range<Int> { Int(cellStart[c])..<Int(cellStart[c + 1]) }

    var memoryBytes: Int { (cellStart.capacity + cellBuildings.capacity) * 4 }
}
