import OneMapGeo

extension BBox {
    /// A layer's extent as every backend reports it: its features' exact box rounded outward to
    /// single precision the way SQLite's R*Tree stores boxes (to the nearest float; when that
    /// lies inside, the value scaled outward by 2^-23 first), so TileJSON bounds are the same
    /// whichever backend serves them. Idempotent on boxes an R*Tree returns.
    package var roundedOutToSinglePrecision: BBox {
        let towards = 1.0 - 1.0 / 8_388_608.0, away = 1.0 + 1.0 / 8_388_608.0
        func down(_ d: Double) -> Double {
            let f = Float(d)
            return Double(f) <= d ? Double(f) : Double(Float(d * (d < 0 ? away : towards)))
        }
        func up(_ d: Double) -> Double {
            let f = Float(d)
            return Double(f) >= d ? Double(f) : Double(Float(d * (d < 0 ? towards : away)))
        }
        return BBox(minX: down(minX), minY: down(minY), maxX: up(maxX), maxY: up(maxY))
    }
}
