import Foundation
import OneMapGeo
import OneMapStore

/// `lon`/`lat` (or x/y in `crs`) and a day, for `/identify` and `/nearest`: the point in EPSG:4490.
public struct PointRequest: Sendable {
    public var point: Position
    public var day: String
    public var crs: APICRS
    public var k: Int

    public static let maxK = 100

    /// `extra`: further parameters the endpoint accepts (e.g. `k`).
    public static func parse(_ parameters: [(String, String)], extra: Set<String> = []) throws(QueryError) -> PointRequest {
        var v: [String: String] = [:]
        let accepted = Set(["lon", "lat", "datetime", "crs", "f"]).union(extra)
        for (name, value) in parameters {
            guard accepted.contains(name) else {
                throw QueryError("unknown query parameter '\(name)'; this endpoint accepts \(accepted.sorted().joined(separator: ", "))")
            }
            v[name] = value
        }
        guard let xs = v["lon"], let ys = v["lat"] else { throw QueryError("parameters 'lon' and 'lat' are required (x and y in crs)") }
        guard let x = Double(xs), let y = Double(ys), x.isFinite, y.isFinite else { throw QueryError("lon '\(xs)' and lat '\(ys)' must be numbers") }
        var crs = APICRS.crs84
        if let c = v["crs"] {
            guard let parsed = APICRS.parse(c) else { throw QueryError("crs '\(c)' is not offered; offered: \(APICRS.list)") }
            crs = parsed
        }
        var point = Position(x, y)
        if crs.crs.isGeographic {
            guard abs(x) <= 180, abs(y) <= 90 else { throw QueryError("lon \(x) / lat \(y) are outside -180..180 / -90..90") }
        } else {
            var ps = [point]
            do { try Reprojector().transform(&ps, from: crs.crs, to: .cgcs2000) } catch { throw QueryError("the point cannot be brought from \(crs.uri) to longitude/latitude: \(error)") }
            guard ps[0].x.isFinite, ps[0].y.isFinite, abs(ps[0].x) <= 180, abs(ps[0].y) <= 90 else { throw QueryError("the point is outside \(crs.uri)") }
            point = ps[0]
        }
        var day = ISODate.string(Date())
        if let text = v["datetime"] { day = try OneDay.parse(text) }
        var k = 5
        if let text = v["k"] {
            guard let n = Int(text), n >= 1 else { throw QueryError("k '\(text)' must be a whole number from 1 to \(maxK)") }
            k = min(n, maxK)
        }
        if let f = v["f"], !["json", "geojson"].contains(f) { throw QueryError("f=\(f) is not offered; use f=json") }
        return PointRequest(point: point, day: day, crs: crs, k: k)
    }
}
