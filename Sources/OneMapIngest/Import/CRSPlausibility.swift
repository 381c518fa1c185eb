import OneMapGeo

/// Refuses coordinates that cannot be in the declared CRS, saying what they look like instead:
/// swapped longitude/latitude, metres declared as degrees, an easting outside its zone.
enum CRSPlausibility {
    /// China's extent in degrees, where OneMap's data must lie.
    static let china = BBox(minX: 73, minY: 3, maxX: 136, maxY: 54)

    /// Checks the source bounding box against the declared CRS before transforming.
    static func check(_ b: BBox, declared crs: CRS) throws {
        if crs.isGeographic {
            if china.contains(b) { return }
            if b.minX >= 3 && b.maxX <= 54 && b.minY >= 73 && b.maxY <= 136 {
                throw ImportError("coordinates look like latitude,longitude (x holds latitudes \(r(b.minX))..\(r(b.maxX))): swap the axes; \(crs) is longitude,latitude here")
            }
            if abs(b.minX) > 180 || abs(b.maxX) > 180 || abs(b.minY) > 90 || abs(b.maxY) > 90 {
                throw ImportError("coordinates (\(r(b.minX)), \(r(b.minY))) are metres, not degrees as \(crs) says; likely \(guessProjected(b))")
            }
            throw ImportError("coordinates \(b) lie outside China for \(crs)")
        }
        if b.maxX <= 180 && b.minX >= -180 && b.maxY <= 90 && b.minY >= -90 {
            throw ImportError("coordinates (\(r(b.minX)), \(r(b.minY))) look like degrees, not the metres of \(crs); likely EPSG:4490 (or EPSG:4326)")
        }
        switch crs.epsg {
        case 4548, 4549:
            if b.minX >= 1e7 {
                throw ImportError("eastings \(r(b.minX))..\(r(b.maxX)) carry a zone prefix, which \(crs) does not; likely \(guessProjected(b))")
            }
            if b.minX < 166_000 || b.maxX > 834_000 || b.minY < 1_000_000 || b.maxY > 6_500_000 {
                throw ImportError("eastings \(r(b.minX))..\(r(b.maxX)) / northings \(r(b.minY))..\(r(b.maxY)) are outside \(crs)'s zone (easting 166 000-834 000 m)")
            }
        case 4527:
            if b.minX < 39_166_000 || b.maxX > 39_834_000 {
                throw ImportError("eastings \(r(b.minX))..\(r(b.maxX)) are outside zone 39 of \(crs) (39 166 000-39 834 000 m); likely \(guessProjected(b))")
            }
        default: break
        }
    }

    /// Checks the transformed lon/lat box: the data must land in China, within the zone's area.
    static func checkTransformed(_ b: BBox, from crs: CRS) throws {
        guard china.contains(b) else {
            throw ImportError("coordinates transformed from \(crs) land at \(b), outside China: the declared CRS is wrong")
        }
    }

    static func guessProjected(_ b: BBox) -> String {
        if b.minX >= 1e7 && b.minX < 1e8 {
            let zone = Int(b.minX / 1e6)
            if (25...45).contains(zone) { return "EPSG:\(4488 + zone) (CGCS2000 3-degree Gauss-Kruger zone \(zone), easting with zone prefix)" }
        }
        if abs(b.minX) > 1e6 && abs(b.minX) <= 20_037_509 && abs(b.minY) <= 20_037_509 { return "EPSG:3857 (Web Mercator)" }
        return "a Gauss-Kruger CRS such as EPSG:4548 (CGCS2000 CM 117E) or EPSG:4549 (CM 120E)"
    }

    private static func r(_ d: Double) -> String { String(Int(d.rounded())) == "-0" ? "0" : (abs(d) < 1000 ? String(format: "%.3f", d) : String(Int(d.rounded()))) }
}

import Foundation
