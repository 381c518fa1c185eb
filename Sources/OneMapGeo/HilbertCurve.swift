/// Positions along a Hilbert curve over a box: sorting features by it keeps neighbours together,
/// so an R*Tree built from the rows in that order, and tile queries reading them, touch few pages.
public struct HilbertCurve: Sendable {
    public let box: BBox
    /// Cells per side: 2^16.
    private static let order: UInt32 = 1 << 16

    public init(box: BBox) { self.box = box }

    /// The curve index of the cell holding `p` (clamped into the box).
    public func index(_ p: Position) -> UInt64 {
        let n = Double(Self.order - 1)
        let w = max(box.maxX - box.minX, .leastNonzeroMagnitude), h = max(box.maxY - box.minY, .leastNonzeroMagnitude)
        var x = UInt32(min(max((p.x - box.minX) / w, 0), 1) * n)
        var y = UInt32(min(max((p.y - box.minY) / h, 0), 1) * n)
        var d: UInt64 = 0
        var s = Self.order / 2
        while s > 0 {
            let rx: UInt32 = (x & s) > 0 ? 1 : 0
            let ry: UInt32 = (y & s) > 0 ? 1 : 0
            d += UInt64(s) * UInt64(s) * UInt64((3 * rx) ^ ry)
            // Rotate the quadrant so the curve stays continuous.
            if ry == 0 {
                if rx == 1 { x = s &- 1 &- x; y = s &- 1 &- y }
                swap(&x, &y)
            }
            s /= 2
        }
        return d
    }
}
