import Foundation
import OneMapGeo
import OneMapStore

/// Low-zoom generalisation: below the zoom where a dense layer's features can be told apart (its
/// `minZoom`), or when its detail would not fit the tile budget, its features become a grid of
/// square cells, 32 x 32 per tile, each carrying how many features it holds (`count`) and the sums
/// of their additive fields (`population`, `businesses`, `*_count`, ... as far as the caller sees
/// them unmasked), plus its true area in km² for densities. A feature is counted once, in the cell
/// holding the centre of its bounds, in global cell coordinates — so the cells of all tiles of a
/// zoom add up exactly to the layer's totals.
struct TileAggregator {
    static let cellsPerSide = 32

    private struct Cell {
        var count: Int64 = 0
        var sums: [Double]
        var integral: [Bool]
    }

    let zoom: Int, column: Int, row: Int
    /// (property name, field index, integral) of the fields summed.
    let summed: [(name: String, index: Int, integral: Bool)]
    private var cells: [Int: Cell] = [:]
    private let cellsAtZoom: Double

    init(zoom: Int, column: Int, row: Int, view: LayerView) {
        self.zoom = zoom; self.column = column; self.row = row
        summed = view.visible.compactMap { i -> (String, Int, Bool)? in
            let f = view.layer.fields[i]
            guard !view.masked.contains(i), Self.isAdditive(f) else { return nil }
            return (f.name, i, f.type == .integer)
        }
        cellsAtZoom = Double((1 << zoom) * Self.cellsPerSide)
    }

    /// Counts of things, which add up over an area (not heights, years or codes).
    static func isAdditive(_ f: FieldInfo) -> Bool {
        guard f.type == .integer || f.type == .number else { return false }
        let n = f.name.lowercased()
        return ["population", "residents", "businesses", "employees", "households", "count"].contains(n)
            || n.hasSuffix("_count") || n.hasSuffix("_population")
    }

    /// The global cell (column, row) at this zoom of a point in Web Mercator metres.
    func globalCell(_ m: Position) -> (Int, Int) {
        let u = (m.x + WebMercatorQuad.originShift) / (2 * WebMercatorQuad.originShift) * cellsAtZoom
        let v = (WebMercatorQuad.originShift - m.y) / (2 * WebMercatorQuad.originShift) * cellsAtZoom
        return (Int(u.rounded(.down)), Int(v.rounded(.down)))
    }

    /// Adds a feature by its anchor (metres) if the anchor lies in this tile.
    mutating func add(anchor: Position, value: (Int) -> FieldValue) {
        let (gx, gy) = globalCell(anchor)
        guard gx >> 5 == column, gy >> 5 == row else { return }
        let key = (gy & 31) * Self.cellsPerSide + (gx & 31)
        var cell = cells[key] ?? Cell(sums: [Double](repeating: 0, count: summed.count), integral: summed.map(\.integral))
        cell.count += 1
        for (k, f) in summed.enumerated() {
            switch value(f.index) {
            case .int(let n): cell.sums[k] += Double(n)
            case .double(let d): cell.sums[k] += d; cell.integral[k] = false
            default: break
            }
        }
        cells[key] = cell
    }

    var isEmpty: Bool { cells.isEmpty }

    /// Encodes the cells as squares, in cell order.
    func encode(into encoder: inout MVTLayerEncoder, extent: Int) {
        let side = extent / Self.cellsPerSide
        let hasCountField = summed.contains { $0.name == "count" }
        for key in cells.keys.sorted() {
            let cell = cells[key]!
            let cx = key % Self.cellsPerSide, cy = key / Self.cellsPerSide
            let x0 = Int32(cx * side), y0 = Int32(cy * side), x1 = x0 + Int32(side), y1 = y0 + Int32(side)
            // Clockwise on screen (y down): the MVT exterior winding.
            let ring = [TilePoint(x0, y0), TilePoint(x1, y0), TilePoint(x1, y1), TilePoint(x0, y1)]
            var props: [(String, FieldValue)] = []
            if !hasCountField { props.append(("count", .int(cell.count))) }
            for (k, f) in summed.enumerated() {
                props.append((f.name, cell.integral[k] ? .int(Int64(cell.sums[k])) : .double(cell.sums[k])))
            }
            let area = areaKm2(gx: column * Self.cellsPerSide + cx, gy: row * Self.cellsPerSide + cy)
            props.append(("area_km2", .double(area)))
            // Features per km² (of the area as given), ready to class (a style filter compares a value; clients such as
            // QGIS's style converter cannot divide one property by another).
            props.append(("density", .double((Double(cell.count) / max(area, 0.0001) * 10).rounded() / 10)))
            let gx = UInt64(column * Self.cellsPerSide + cx), gy = UInt64(row * Self.cellsPerSide + cy)
            encoder.add(id: gx << 32 | gy, geometry: .polygons([ring]), properties: props)
        }
    }

    /// The true area of a cell (its Mercator square shrunk by the scale at its middle latitude).
    private func areaKm2(gx: Int, gy: Int) -> Double {
        let size = 2 * WebMercatorQuad.originShift / cellsAtZoom
        let midY = WebMercatorQuad.originShift - (Double(gy) + 0.5) * size
        let lat = WebMercatorQuad.unproject(Position(0, midY)).y
        let k = cos(lat * .pi / 180)
        return ((size * k) * (size * k) / 1e6 * 10_000).rounded() / 10_000
    }
}
