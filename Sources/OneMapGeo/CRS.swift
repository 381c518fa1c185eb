/// A coordinate reference system OneMap can read and write.
public struct CRS: Sendable, Hashable, CustomStringConvertible {
    public let epsg: Int
    public let name: String
    /// Geographic (degrees) rather than projected (metres).
    public let isGeographic: Bool
    /// Valid area in lon/lat degrees (for plausibility checks and OGC metadata).
    public let areaOfUse: BBox

    public var description: String { "EPSG:\(epsg)" }
    /// The OGC URI, e.g. `http://www.opengis.net/def/crs/EPSG/0/4490`.
    public var uri: String { epsg == 4326 ? CRS.crs84URI : "http://www.opengis.net/def/crs/EPSG/0/\(epsg)" }

    static let crs84URI = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

    /// CGCS2000 geographic: the storage CRS of every OneMap layer.
    public static let cgcs2000 = CRS(epsg: 4490, name: "China Geodetic Coordinate System 2000", isGeographic: true,
                                     areaOfUse: BBox(minX: 73.62, minY: 16.7, maxX: 134.77, maxY: 53.56))
    public static let wgs84 = CRS(epsg: 4326, name: "WGS 84", isGeographic: true,
                                  areaOfUse: BBox(minX: -180, minY: -90, maxX: 180, maxY: 90))
    public static let webMercator = CRS(epsg: 3857, name: "WGS 84 / Pseudo-Mercator", isGeographic: false,
                                        areaOfUse: BBox(minX: -180, minY: -85.06, maxX: 180, maxY: 85.06))
    /// CGCS2000 / 3-degree Gauss-Kruger CM 117E (easting without zone prefix).
    public static let gk117 = CRS(epsg: 4548, name: "CGCS2000 / 3-degree Gauss-Kruger CM 117E", isGeographic: false,
                                  areaOfUse: BBox(minX: 115.5, minY: 21.5, maxX: 118.5, maxY: 45.6))
    /// CGCS2000 / 3-degree Gauss-Kruger CM 120E: Sanming's east (尤溪, 大田 east of 118.5E).
    public static let gk120 = CRS(epsg: 4549, name: "CGCS2000 / 3-degree Gauss-Kruger CM 120E", isGeographic: false,
                                  areaOfUse: BBox(minX: 118.5, minY: 24.0, maxX: 121.5, maxY: 53.33))

    /// CGCS2000 / 3-degree Gauss-Kruger zone 39 (CM 117E) with the zone number prefixed to the
    /// easting (39 500 000 m false easting), common in Chinese survey files.
    public static let gkZone39 = CRS(epsg: 4527, name: "CGCS2000 / 3-degree Gauss-Kruger zone 39", isGeographic: false,
                                     areaOfUse: BBox(minX: 115.5, minY: 21.5, maxX: 118.5, maxY: 45.6))

    /// The CRSs the registry supports, storage CRS first.
    public static let supported: [CRS] = [.cgcs2000, .wgs84, .webMercator, .gk117, .gk120, .gkZone39]

    public static func epsg(_ code: Int) -> CRS? { supported.first { $0.epsg == code } }

    /// True when coordinates mean the same in both: the same CRS, or WGS84 and CGCS2000 lon/lat,
    /// between which PROJ knows only a ballpark no-op (the frames differ by centimetres).
    public func sameCoordinates(as other: CRS) -> Bool {
        self == other || (isGeographic && other.isGeographic && Set([epsg, other.epsg]) == [4326, 4490])
    }

    /// Parses `EPSG:4490`, `4490`, an OGC CRS URI, or `CRS84`. Nil when unknown or unsupported.
    public static func parse(_ text: String) -> CRS? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t == crs84URI || t.uppercased() == "CRS84" || t == "urn:ogc:def:crs:OGC:1.3:CRS84" { return .wgs84 }
        let patterns = ["http://www.opengis.net/def/crs/EPSG/0/", "https://www.opengis.net/def/crs/EPSG/0/",
                        "urn:ogc:def:crs:EPSG::", "EPSG:", "epsg:"]
        var rest = Substring(t)
        for p in patterns where t.hasPrefix(p) { rest = t.dropFirst(p.count); break }
        guard let code = Int(rest) else { return nil }
        return epsg(code)
    }
}

import Foundation
