import OneMapGeo

/// Where and from when a committed change applies to a layer: cached tiles of that layer whose
/// box meets `box` and whose day is on or after `fromDay` are stale, the rest stay valid.
public struct ChangeExtent: Sendable, Hashable {
    public let seq: Int64
    public let layer: String
    /// The first day the change shows; nil: every day (a reclassification).
    public let fromDay: String?
    /// EPSG:4490 lon/lat; nil: the whole layer.
    public let box: BBox?

    public init(seq: Int64, layer: String, fromDay: String?, box: BBox?) {
        self.seq = seq; self.layer = layer; self.fromDay = fromDay; self.box = box
    }

    /// Whether a cached result of `layer` over `area` for the days up to `lastDay` (nil: open
    /// ended) may show this change.
    public func touches(layers: Set<String>, area: BBox?, lastDay: String?) -> Bool {
        guard layers.contains(layer) else { return false }
        if let fromDay, let lastDay, lastDay < fromDay { return false }
        guard let box, let area else { return true }
        return box.minX <= area.maxX && box.maxX >= area.minX && box.minY <= area.maxY && box.maxY >= area.minY
    }
}
