import Foundation

/// An OGC Tile Matrix Set (TMS 2.0) of square 256-pixel tiles whose every matrix doubles the one
/// before: WebMercatorQuad, WorldCRS84Quad, and CGCS2000 geographic tiles laid out like 天地图's
/// 'c' grid (EPSG:4490, level 1 = two tiles of 180° x 180°, origin 180°W 90°N).
///
/// Coordinates here are the CRS's x/y as OneMap holds them: longitude/easting first.
public struct TileMatrixSet: Sendable, Hashable {
    public let id: String
    public let title: String
    public let crs: String
    /// The CRS's first axis is latitude/northing (EPSG:4490): TMS JSON gives the origin that way.
    public let northingFirst: Bool
    /// True for a lon/lat grid (no projection), false for Web Mercator metres.
    public let geographic: Bool
    /// Top-left corner (x, y).
    public let origin: Position
    /// Tile width in CRS units at `firstLevel`.
    public let firstTileSize: Double
    public let firstColumns: Int, firstRows: Int
    public let firstLevel: Int
    public let lastLevel: Int
    /// Web Mercator zoom of equal detail at Sanming's latitude (for the layers' zoom rules).
    public let zoomOffset: Int

    public static let webMercatorQuad = TileMatrixSet(
        id: "WebMercatorQuad", title: "Google Maps Compatible for the World", crs: "http://www.opengis.net/def/crs/EPSG/0/3857",
        northingFirst: false, geographic: false, origin: Position(-WebMercatorQuad.originShift, WebMercatorQuad.originShift),
        firstTileSize: 2 * WebMercatorQuad.originShift, firstColumns: 1, firstRows: 1, firstLevel: 0, lastLevel: 24, zoomOffset: 0)

    public static let worldCRS84Quad = TileMatrixSet(
        id: "WorldCRS84Quad", title: "CRS84 for the World", crs: "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        northingFirst: false, geographic: true, origin: Position(-180, 90),
        firstTileSize: 180, firstColumns: 2, firstRows: 1, firstLevel: 0, lastLevel: 23, zoomOffset: 1)

    /// 天地图's CGCS2000 ('c') tiles: level L here is WorldCRS84Quad level L-1, cell for cell.
    public static let cgcs2000Quad = TileMatrixSet(
        id: "CGCS2000Quad", title: "CGCS2000 geographic tiles (天地图 'c' layout)", crs: "http://www.opengis.net/def/crs/EPSG/0/4490",
        northingFirst: true, geographic: true, origin: Position(-180, 90),
        firstTileSize: 180, firstColumns: 2, firstRows: 1, firstLevel: 1, lastLevel: 24, zoomOffset: 0)

    public static let all = [webMercatorQuad, worldCRS84Quad, cgcs2000Quad]

    public static func named(_ id: String) -> TileMatrixSet? { all.first { $0.id == id } }

    public func tileSize(_ level: Int) -> Double { firstTileSize / Double(1 << (level - firstLevel)) }
    public func columns(_ level: Int) -> Int { firstColumns << (level - firstLevel) }
    public func rows(_ level: Int) -> Int { firstRows << (level - firstLevel) }

    /// Checks an address, naming the bad part.
    public func check(level: Int, row: Int, column: Int) throws(TileCoordError) {
        guard (firstLevel...lastLevel).contains(level) else { throw .outside("tile matrix \(level) is outside \(firstLevel)...\(lastLevel) of \(id)") }
        guard (0..<rows(level)).contains(row) else { throw .outside("tile row \(row) is outside 0...\(rows(level) - 1) at matrix \(level) of \(id)") }
        guard (0..<columns(level)).contains(column) else { throw .outside("tile column \(column) is outside 0...\(columns(level) - 1) at matrix \(level) of \(id)") }
    }

    /// A tile's bounds in CRS x/y units. Each edge from its own index: neighbours share edges.
    public func bounds(level: Int, row: Int, column: Int) -> BBox {
        let s = tileSize(level)
        return BBox(minX: origin.x + Double(column) * s, minY: origin.y - Double(row + 1) * s,
                    maxX: origin.x + Double(column + 1) * s, maxY: origin.y - Double(row) * s)
    }

    /// Lon/lat (EPSG:4490, = WGS84 within centimetres) to CRS x/y.
    @inlinable public func project(_ p: Position) -> Position {
        geographic ? p : WebMercatorQuad.project(lon: p.x, lat: p.y)
    }

    public func unproject(_ p: Position) -> Position { geographic ? p : WebMercatorQuad.unproject(p) }

    /// A box in CRS units to lon/lat.
    public func unprojectBox(_ b: BBox) -> BBox {
        let lo = unproject(Position(b.minX, b.minY)), hi = unproject(Position(b.maxX, b.maxY))
        return BBox(minX: lo.x, minY: lo.y, maxX: hi.x, maxY: hi.y)
    }

    /// Metres per CRS unit (for scale denominators): degrees at the equator, or metres.
    var metresPerUnit: Double { geographic ? 2 * .pi * 6_378_137 / 360 : 1 }

    /// The TMS 2.0 JSON definition.
    public func definition(uri: String) -> [String: Any] {
        let originList: [Double] = northingFirst ? [origin.y, origin.x] : [origin.x, origin.y]
        let matrices: [[String: Any]] = (firstLevel...lastLevel).map { level in
            let cell = tileSize(level) / 256
            return ["id": String(level), "scaleDenominator": cell * metresPerUnit / 0.00028, "cellSize": cell,
                    "cornerOfOrigin": "topLeft", "pointOfOrigin": originList, "tileWidth": 256, "tileHeight": 256,
                    "matrixWidth": columns(level), "matrixHeight": rows(level)]
        }
        var doc: [String: Any] = ["id": id, "title": title, "uri": uri, "crs": crs, "tileMatrices": matrices,
                                  "orderedAxes": geographic ? (northingFirst ? ["Lat", "Lon"] : ["Lon", "Lat"]) : ["E", "N"]]
        if id == "CGCS2000Quad" {
            doc["description"] = "Level L has 2^L x 2^(L-1) tiles of 180/2^(L-1) degrees from 180°W 90°N, as 天地图's CGCS2000 'c' tiles; level L covers exactly the cells of WorldCRS84Quad level L-1."
        }
        return doc
    }
}
