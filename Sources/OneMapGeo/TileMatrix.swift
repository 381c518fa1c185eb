import Foundation

/// A tile address in a tile matrix set (z = zoom / tile matrix, x = column, y = row from the top).
public struct TileCoord: Sendable, Hashable, CustomStringConvertible {
    public let z: Int, x: Int, y: Int

    /// Highest zoom served; deeper tiles carry no more detail for city data.
    public static let maxZoom = 24

    /// Fails with a message naming the bad part when z/x/y is outside the WebMercatorQuad matrix.
    public init(z: Int, x: Int, y: Int) throws(TileCoordError) {
        guard (0...TileCoord.maxZoom).contains(z) else { throw .zoomOutOfRange(z) }
        let n = 1 << z
        guard (0..<n).contains(x) else { throw .columnOutOfRange(x: x, z: z) }
        guard (0..<n).contains(y) else { throw .rowOutOfRange(y: y, z: z) }
        self.z = z; self.x = x; self.y = y
    }

    public var description: String { "\(z)/\(x)/\(y)" }
}

public enum TileCoordError: Error, CustomStringConvertible, Equatable {
    case zoomOutOfRange(Int)
    case columnOutOfRange(x: Int, z: Int)
    case rowOutOfRange(y: Int, z: Int)
    /// Outside another tile matrix set (the message names the part).
    case outside(String)

    public var description: String {
        switch self {
        case .zoomOutOfRange(let z): "zoom \(z) is outside 0...\(TileCoord.maxZoom)"
        case .columnOutOfRange(let x, let z): "tile column x=\(x) is outside 0...\((1 << z) - 1) at zoom \(z)"
        case .rowOutOfRange(let y, let z): "tile row y=\(y) is outside 0...\((1 << z) - 1) at zoom \(z)"
        case .outside(let message): message
        }
    }
}

/// OGC WebMercatorQuad (EPSG:3857, 256-pixel tiles, origin top-left).
///
/// Projection is done with the spherical formulas directly: it is exactly what EPSG:3857 defines
/// from WGS84 longitude/latitude, and CGCS2000 differs from WGS84 by centimetres, far below a pixel.
public enum WebMercatorQuad {
    public static let earthRadius = 6_378_137.0
    public static let originShift = Double.pi * earthRadius  // 20037508.342789244
    public static let maxLatitude = 85.0511287798066

    /// Lon/lat degrees to EPSG:3857 metres.
    @inlinable public static func project(lon: Double, lat: Double) -> Position {
        let la = min(max(lat, -maxLatitude), maxLatitude)
        let x = lon * originShift / 180
        let y = log(tan((90 + la) * .pi / 360)) * earthRadius
        return Position(x, y)
    }

    /// EPSG:3857 metres to lon/lat degrees.
    public static func unproject(_ p: Position) -> Position {
        let lon = p.x / originShift * 180
        let lat = atan(exp(p.y / earthRadius)) * 360 / .pi - 90
        return Position(lon, lat)
    }

    /// The tile's bounds in EPSG:3857 metres.
    public static func bounds(_ t: TileCoord) -> BBox {
        // Each edge from its own index, so neighbouring tiles share edges exactly.
        let size = 2 * originShift / Double(1 << t.z)
        return BBox(minX: -originShift + Double(t.x) * size, minY: originShift - Double(t.y + 1) * size,
                    maxX: -originShift + Double(t.x + 1) * size, maxY: originShift - Double(t.y) * size)
    }

    /// The tile's bounds in lon/lat degrees.
    public static func lonLatBounds(_ t: TileCoord) -> BBox {
        let b = bounds(t)
        let lo = unproject(Position(b.minX, b.minY)), hi = unproject(Position(b.maxX, b.maxY))
        return BBox(minX: lo.x, minY: lo.y, maxX: hi.x, maxY: hi.y)
    }

    /// The tile containing a lon/lat at zoom z.
    public static func tile(lon: Double, lat: Double, z: Int) -> TileCoord {
        let n = Double(1 << z)
        let m = project(lon: lon, lat: lat)
        let x = Int(((m.x + originShift) / (2 * originShift) * n).rounded(.down))
        let y = Int(((originShift - m.y) / (2 * originShift) * n).rounded(.down))
        let maxIndex = (1 << z) - 1
        return try! TileCoord(z: z, x: min(max(x, 0), maxIndex), y: min(max(y, 0), maxIndex))
    }

    /// Ground resolution in metres per pixel of a 256-pixel tile at zoom z (at the equator).
    public static func resolution(z: Int) -> Double { 2 * originShift / 256 / Double(1 << z) }
}
