import OneMapGeo
import OneMapStore

/// Today's features of one layer held in memory in the form tiles need: geometry already in Web
/// Mercator metres, property values interned per field, and a grid index. A cold tile made from it
/// skips SQLite, blob decoding, projection and value hashing — what a tile from the store spends
/// most of its time on. It is a copy of the store, never a source: built from `queryFeatures`
/// (the same rows and values a tile from the store shows), dropped on every change the store
/// reports for its layer and at midnight, rebuilt in the background (`SnapshotRegistry`).
public final class LayerSnapshot: Sendable {
    public let layer: LayerInfo
    /// The day (UTC+8) whose features it holds.
    public let day: String
    public let count: Int
    /// About how many bytes it holds (geometry, bounds, index, values): what a memory budget counts.
    public let bytes: Int
    let ids: [Int64]
    /// Feature geometry in Web Mercator metres.
    let geometries: [Geometry]
    /// Bounds of each geometry (metres).
    let boxes: [BBox]
    /// Where a feature is counted in aggregates: the centre of its bounds (metres).
    let anchors: [Position]
    /// `codes[i * fieldCount + f]`: index of feature i's value of field f in `distinct[f]`.
    let codes: [UInt32]
    let distinct: [[FieldValue]]
    /// Grid cell key (row-major at `gridZoom`) of each feature, ascending; features larger than
    /// a cell's margin carry `Int64.max` and sit at the end (`firstLarge`...).
    let keys: [Int64]
    let firstLarge: Int

    static let gridZoom = 14
    static let cells = 1 << gridZoom
    static let cellSize = 2 * WebMercatorQuad.originShift / Double(cells)
    /// How far a small feature may reach past its cell.
    static let margin = cellSize / 4

    /// Reads the layer's features valid on `day` from the store. `byteLimit`: the most it may
    /// hold; a layer that needs more is not built (`OverBudget`, thrown as soon as the rows read
    /// pass the limit, so a build never holds much more than it may keep).
    public static func build(layer: LayerInfo, day: String, store: any FeatureStore, byteLimit: Int = .max) throws -> LayerSnapshot {
        var rows: [(key: Int64, id: Int64, geometry: Geometry, box: BBox, values: [FieldValue])] = []
        var bytes = 0
        try store.queryFeatures(FeatureQuery(layer: layer.id, time: .instant(day))) { f in
            let g = f.geometry.mapPositions { WebMercatorQuad.project(lon: $0.x, lat: $0.y) }
            guard let box = g.bbox else { return }
            rows.append((cellKey(box), f.id, g, box, f.values))
            bytes += Self.bytes(of: g) + perFeatureBytes + 4 * layer.fields.count
            if bytes > byteLimit { throw OverBudget(layer: layer.id, limit: byteLimit) }
        }
        // Stable: features of one cell keep the store's order.
        let order = rows.indices.sorted { (rows[$0].key, $0) < (rows[$1].key, $1) }
        let fieldCount = layer.fields.count
        var interned = [[FieldValue: UInt32]](repeating: [:], count: fieldCount)
        var distinct = [[FieldValue]](repeating: [], count: fieldCount)
        var codes: [UInt32] = []
        codes.reserveCapacity(rows.count * fieldCount)
        var ids: [Int64] = [], geometries: [Geometry] = [], boxes: [BBox] = [], anchors: [Position] = [], keys: [Int64] = []
        for i in order {
            let r = rows[i]
            ids.append(r.id); geometries.append(r.geometry); boxes.append(r.box); keys.append(r.key)
            anchors.append(Position((r.box.minX + r.box.maxX) / 2, (r.box.minY + r.box.maxY) / 2))
            for f in 0..<fieldCount {
                let v = f < r.values.count ? r.values[f] : .null
                if let c = interned[f][v] { codes.append(c) } else {
                    let c = UInt32(distinct[f].count)
                    distinct[f].append(v); interned[f][v] = c; codes.append(c)
                }
            }
        }
        for values in distinct { for v in values { bytes += Self.bytes(of: v) } }
        return LayerSnapshot(layer: layer, day: day, ids: ids, geometries: geometries, boxes: boxes, anchors: anchors,
                             codes: codes, distinct: distinct, keys: keys, bytes: bytes)
    }

    /// A layer whose snapshot would need more than the bytes it may have.
    public struct OverBudget: Error, CustomStringConvertible {
        public let layer: String
        public let limit: Int
        public var description: String { "layer \(layer) needs more than the \(limit / 1_000_000) MB its snapshot may hold" }
    }

    /// Id, cell key, bounds and anchor of a feature, and its entry in the arrays holding them.
    static let perFeatureBytes = 8 + 8 + 32 + 16 + 16

    /// A geometry's positions and the arrays around them.
    static func bytes(of g: Geometry) -> Int {
        switch g {
        case .point: 16
        case .multiPoint(let p), .lineString(let p): 32 + 16 * p.count
        case .multiLineString(let lines): 32 + lines.reduce(0) { $0 + 32 + 16 * $1.count }
        case .polygon(let rings): 32 + rings.reduce(0) { $0 + 32 + 16 * $1.count }
        case .multiPolygon(let polygons): 32 + polygons.reduce(0) { $0 + bytes(of: .polygon($1)) }
        case .geometryCollection(let parts): 32 + parts.reduce(0) { $0 + bytes(of: $1) }
        }
    }

    static func bytes(of v: FieldValue) -> Int {
        if case .string(let s) = v { return 32 + s.utf8.count }
        return 16
    }

    init(layer: LayerInfo, day: String, ids: [Int64], geometries: [Geometry], boxes: [BBox], anchors: [Position],
         codes: [UInt32], distinct: [[FieldValue]], keys: [Int64], bytes: Int) {
        self.layer = layer; self.day = day; self.ids = ids; self.geometries = geometries; self.boxes = boxes
        self.anchors = anchors; self.codes = codes; self.distinct = distinct; self.keys = keys; self.bytes = bytes
        count = ids.count
        firstLarge = keys.firstIndex(of: .max) ?? keys.count
    }

    static func cell(_ v: Double, flip: Bool) -> Int {
        let t = (flip ? WebMercatorQuad.originShift - v : v + WebMercatorQuad.originShift) / cellSize
        return min(cells - 1, max(0, Int(t.rounded(.down))))
    }

    /// The row-major cell of a box's centre, or `Int64.max` when the box reaches past the cell by more than `margin`.
    static func cellKey(_ b: BBox) -> Int64 {
        let cx = cell((b.minX + b.maxX) / 2, flip: false), cy = cell((b.minY + b.maxY) / 2, flip: true)
        let x0 = -WebMercatorQuad.originShift + Double(cx) * cellSize, y1 = WebMercatorQuad.originShift - Double(cy) * cellSize
        guard b.minX >= x0 - margin, b.maxX <= x0 + cellSize + margin, b.maxY <= y1 + margin, b.minY >= y1 - cellSize - margin else { return .max }
        return Int64(cy) * Int64(cells) + Int64(cx)
    }

    /// Calls `body` with the index of every feature whose bounds intersect `box` (metres), in cell order.
    func forEach(intersecting box: BBox, _ body: (Int) throws -> Void) rethrows {
        let cx0 = Self.cell(box.minX - Self.margin, flip: false), cx1 = Self.cell(box.maxX + Self.margin, flip: false)
        let cy0 = Self.cell(box.maxY + Self.margin, flip: true), cy1 = Self.cell(box.minY - Self.margin, flip: true)
        for cy in cy0...cy1 {
            let lo = Int64(cy) * Int64(Self.cells) + Int64(cx0), hi = Int64(cy) * Int64(Self.cells) + Int64(cx1)
            var i = lowerBound(lo)
            while i < firstLarge, keys[i] <= hi {
                if boxes[i].intersects(box) { try body(i) }
                i += 1
            }
        }
        for i in firstLarge..<count where boxes[i].intersects(box) { try body(i) }
    }

    private func lowerBound(_ key: Int64) -> Int {
        var lo = 0, hi = firstLarge
        while lo < hi {
            let mid = (lo + hi) >> 1
            if keys[mid] < key { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    @inline(__always) func code(_ feature: Int, _ field: Int) -> UInt32 { codes[feature * layer.fields.count + field] }
    @inline(__always) func value(_ feature: Int, _ field: Int) -> FieldValue { distinct[field][Int(code(feature, field))] }
}
