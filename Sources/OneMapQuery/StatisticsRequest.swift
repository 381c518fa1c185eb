import Foundation
import OneMapGeo
import OneMapStore

/// A `/stats` request, checked: the area (an administrative code, or a geometry in EPSG:4490
/// lon/lat made from a GeoJSON polygon, a circle or a buffer around a line, in any offered CRS),
/// the day, and the breakdowns.
public struct StatisticsRequest: Sendable {
    public var area: StatisticsArea
    public var day: String
    public var groupBy: [StatisticsDimension]
    /// When the given polygon was invalid and repaired: GEOS's reason.
    public var repaired: String?

    public init(area: StatisticsArea, day: String, groupBy: [StatisticsDimension], repaired: String? = nil) {
        self.area = area; self.day = day; self.groupBy = groupBy; self.repaired = repaired
    }

    /// More vertices than this in an area are refused (a drawn area has tens to thousands).
    public static let maxVertices = 100_000

    /// From a JSON body: {"area": CODE | GeoJSON geometry | {"circle": {"center": [x, y], "radius": m}}
    /// | {"buffer": {"geometry": line, "distance": m}}, "crs": URI, "datetime": day, "groupBy": [...]}.
    public static func parse(json: Any) throws(QueryError) -> StatisticsRequest {
        guard let body = json as? [String: Any] else { throw QueryError("the body must be a JSON object with an \"area\"") }
        for key in body.keys where !["area", "crs", "datetime", "groupBy"].contains(key) {
            throw QueryError("unknown member '\(key)'; a statistics request has area, crs, datetime and groupBy")
        }
        let crs = try crsMember(body["crs"])
        let day = try dayMember(body["datetime"] as? String, present: body["datetime"] != nil)
        let groupBy: [StatisticsDimension]
        switch body["groupBy"] {
        case nil: groupBy = []
        case let list as [String]: groupBy = try dimensions(list)
        case let text as String: groupBy = try dimensions(text.split(separator: ",").map(String.init))
        default: throw QueryError("groupBy must be a list of \(StatisticsDimension.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let area = body["area"] else { throw QueryError("the request has no \"area\" (an administrative code, a GeoJSON polygon, a circle or a buffer)") }
        var request = StatisticsRequest(area: .code(""), day: day, groupBy: groupBy)
        switch area {
        case let code as String: request.area = .code(try checkedCode(code))
        case let object as [String: Any]:
            if let circle = object["circle"] {
                request.area = .geometry(try Self.circle(circle, crs: crs))
            } else if let buffer = object["buffer"] {
                request.area = .geometry(try Self.buffer(buffer, crs: crs))
            } else {
                let (g, repaired) = try polygon(object, crs: crs)
                request.area = .geometry(g)
                request.repaired = repaired
            }
        default: throw QueryError("area must be an administrative code (text) or an object (GeoJSON polygon, circle or buffer)")
        }
        return request
    }

    /// From `GET /stats?area=CODE[&datetime=][&groupBy=a,b]`.
    public static func parse(parameters: [(String, String)]) throws(QueryError) -> StatisticsRequest {
        var values: [String: String] = [:]
        for (k, v) in parameters {
            guard ["area", "datetime", "groupBy"].contains(k) else {
                throw QueryError("unknown query parameter '\(k)'; GET /stats accepts area, datetime and groupBy (POST /stats takes geometries)")
            }
            values[k] = v
        }
        guard let code = values["area"] else { throw QueryError("parameter 'area' (an administrative code) is required") }
        return StatisticsRequest(area: .code(try checkedCode(code)), day: try dayMember(values["datetime"], present: values["datetime"] != nil),
                                 groupBy: try dimensions(values["groupBy"].map { $0.split(separator: ",").map(String.init) } ?? []))
    }

    public static func checkedCode(_ code: String) throws(QueryError) -> String {
        guard [6, 9, 12].contains(code.count), code.allSatisfy(\.isASCII), code.allSatisfy(\.isNumber) else {
            throw QueryError("area code '\(code)' is not an administrative code (6, 9 or 12 digits)")
        }
        return code
    }

    static func crsMember(_ value: Any?) throws(QueryError) -> APICRS {
        guard let value else { return .crs84 }
        guard let text = value as? String, let crs = APICRS.parse(text) else {
            throw QueryError("crs '\(value)' is not offered; offered: \(APICRS.list)")
        }
        return crs
    }

    static func dayMember(_ text: String?, present: Bool) throws(QueryError) -> String {
        if present && text == nil { throw QueryError("datetime must be a date or date-time text") }
        guard let text else { return ISODate.string(Date()) }
        return try OneDay.parse(text)
    }

    static func dimensions(_ names: [String]) throws(QueryError) -> [StatisticsDimension] {
        var out: [StatisticsDimension] = []
        for raw in names {
            let name = raw.trimmingCharacters(in: .whitespaces)
            guard let d = StatisticsDimension(rawValue: name) else {
                throw QueryError("groupBy '\(name)' is unknown; choose from \(StatisticsDimension.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            if !out.contains(d) { out.append(d) }
        }
        return out
    }

    /// Positions in x, y order (longitude/easting first, as GeoJSON files hold them) from `crs`
    /// to EPSG:4490 lon/lat.
    static func toStorage(_ g: Geometry, from crs: APICRS) throws(QueryError) -> Geometry {
        do {
            let out = try Reprojector().transform(g, from: crs.crs, to: .cgcs2000)
            var ok = true
            out.forEachPosition { p in if !(p.x.isFinite && p.y.isFinite && abs(p.x) <= 180 && abs(p.y) <= 90) { ok = false } }
            guard ok else { throw QueryError("the area's coordinates are outside \(crs.uri)") }
            return out
        } catch let e as QueryError { throw e } catch {
            throw QueryError("the area cannot be brought from \(crs.uri) to longitude/latitude: \(error)")
        }
    }

    static func polygon(_ object: [String: Any], crs: APICRS) throws(QueryError) -> (Geometry, String?) {
        let g: Geometry
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            g = try GeoJSON.geometry(fromJSON: String(decoding: data, as: UTF8.self))
        } catch { throw QueryError("area is not a GeoJSON geometry: \(error)") }
        switch g {
        case .polygon, .multiPolygon: break
        default: throw QueryError("area must be a Polygon or MultiPolygon (or a circle or buffer), not a \(g.typeName)")
        }
        guard g.positionCount <= maxVertices else { throw QueryError("area has \(g.positionCount) vertices; at most \(maxVertices)") }
        let lonLat = try toStorage(g, from: crs)
        do {
            let engine = GeometryEngine()
            let v = try engine.validity(lonLat)
            if v.isValid { return (lonLat, nil) }
            guard let fixed = try engine.makeValid(lonLat), !fixed.polygons.isEmpty else {
                throw QueryError("area is invalid (\(v.reason ?? "?")) and cannot be repaired into a polygon")
            }
            return (.multiPolygon(fixed.polygons), v.reason ?? "invalid")
        } catch let e as QueryError { throw e } catch { throw QueryError("area: \(error)") }
    }

    /// A JSON number; `true`/`false` are not numbers (JSONSerialization hands them over as a
    /// subclass of NSNumber, which would otherwise read as 1 and 0).
    static func number(_ v: Any?) -> Double? {
        guard let n = v as? NSNumber, type(of: n) == NSNumber.self else { return nil }
        return n.doubleValue.isFinite ? n.doubleValue : nil
    }

    /// A circle of `radius` metres: 64 vertices, in the local metric of its centre.
    static func circle(_ value: Any, crs: APICRS) throws(QueryError) -> Geometry {
        guard let c = value as? [String: Any], let centre = c["center"] as? [Any], centre.count == 2,
              let x = number(centre[0]), let y = number(centre[1]), let r = number(c["radius"]) else {
            throw QueryError("circle must be {\"center\": [x, y], \"radius\": metres}")
        }
        guard r > 0, r <= 50_000 else { throw QueryError("circle radius \(r) m must be above 0 and at most 50 km") }
        guard case .point(let p) = try toStorage(.point(Position(x, y)), from: crs) else { throw QueryError("circle centre") }
        let m = PointInPolygon.metresPerDegree(atLatitude: p.y)
        var ring = (0..<64).map { k -> Position in
            let a = Double(k) / 64 * 2 * .pi
            return Position(p.x + r * cos(a) / m.x, p.y + r * sin(a) / m.y)
        }
        ring.append(ring[0])
        return .polygon([ring])
    }

    /// The area within `distance` metres of a line (or any geometry), buffered in the
    /// Gauss-Kruger zone of its centre.
    static func buffer(_ value: Any, crs: APICRS) throws(QueryError) -> Geometry {
        guard let b = value as? [String: Any], let object = b["geometry"] as? [String: Any], let d = number(b["distance"]) else {
            throw QueryError("buffer must be {\"geometry\": GeoJSON geometry, \"distance\": metres}")
        }
        guard d > 0, d <= 50_000 else { throw QueryError("buffer distance \(d) m must be above 0 and at most 50 km") }
        let g: Geometry
        do {
            let data = try JSONSerialization.data(withJSONObject: object)
            g = try GeoJSON.geometry(fromJSON: String(decoding: data, as: UTF8.self))
        } catch { throw QueryError("buffer geometry is not GeoJSON: \(error)") }
        guard g.positionCount <= maxVertices else { throw QueryError("buffer geometry has \(g.positionCount) vertices; at most \(maxVertices)") }
        let lonLat = try toStorage(g, from: crs)
        guard let box = lonLat.bbox else { throw QueryError("buffer geometry is empty") }
        let zone: CRS = (box.minX + box.maxX) / 2 < 118.5 ? .gk117 : .gk120
        do {
            let p = Reprojector()
            let metric = try p.transform(lonLat, from: .cgcs2000, to: zone)
            guard let area = try GeometryEngine().buffer(metric, distance: d), !area.polygons.isEmpty else {
                throw QueryError("the buffer is empty")
            }
            return try p.transform(.multiPolygon(area.polygons), from: zone, to: .cgcs2000)
        } catch let e as QueryError { throw e } catch { throw QueryError("buffer: \(error)") }
    }
}
