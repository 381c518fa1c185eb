import OneMapGeo

/// A CRS as OGC API Features Part 2 names it: its URI and its axis order. CRS84 is longitude,
/// latitude; the EPSG geographic CRSs (4490, 4326) are latitude, longitude, and the CGCS2000
/// Gauss-Kruger CRSs (4548, 4549) northing, easting, as the EPSG registry defines them.
public struct APICRS: Sendable, Hashable {
    public let crs: CRS
    public let uri: String
    /// True when the first coordinate is latitude or northing.
    public let northingFirst: Bool

    public static let crs84 = APICRS(crs: .wgs84, uri: "http://www.opengis.net/def/crs/OGC/1.3/CRS84", northingFirst: false)

    /// Every CRS the API offers, the default (CRS84) first.
    public static let supported: [APICRS] = [
        .crs84,
        APICRS(crs: .cgcs2000, uri: epsgURI(4490), northingFirst: true),
        APICRS(crs: .wgs84, uri: epsgURI(4326), northingFirst: true),
        APICRS(crs: .webMercator, uri: epsgURI(3857), northingFirst: false),
        APICRS(crs: .gk117, uri: epsgURI(4548), northingFirst: true),
        APICRS(crs: .gk120, uri: epsgURI(4549), northingFirst: true),
    ]

    /// Where every layer is stored.
    public static let storage = supported[1]

    static func epsgURI(_ code: Int) -> String { "http://www.opengis.net/def/crs/EPSG/0/\(code)" }

    /// From a CRS URI (also `EPSG:n`, `urn:ogc:def:crs:EPSG::n`, `CRS84` and a bracketed safe CURIE).
    public static func parse(_ text: String) -> APICRS? {
        var t = text.trimmingCharacters(in: .whitespaces)
        if t.hasPrefix("["), t.hasSuffix("]") { t = String(t.dropFirst().dropLast()) }
        if t == crs84.uri || t.uppercased() == "CRS84" || t == "urn:ogc:def:crs:OGC:1.3:CRS84" || t == "OGC:CRS84" { return .crs84 }
        for prefix in ["http://www.opengis.net/def/crs/EPSG/0/", "https://www.opengis.net/def/crs/EPSG/0/", "urn:ogc:def:crs:EPSG::", "EPSG:", "epsg:"]
        where t.hasPrefix(prefix) {
            guard let code = Int(t.dropFirst(prefix.count)) else { return nil }
            return supported.dropFirst().first { $0.crs.epsg == code }
        }
        return nil
    }

    /// `x, y` as the store holds them (lon/lat, easting/northing) in this CRS's axis order.
    func ordered(_ p: Position) -> Position { northingFirst ? Position(p.y, p.x) : p }

    /// Coordinate decimals worth writing: ~1 cm.
    var precision: Int? { crs.isGeographic ? nil : 2 }

    public static var list: String { supported.map(\.uri).joined(separator: ", ") }
}
